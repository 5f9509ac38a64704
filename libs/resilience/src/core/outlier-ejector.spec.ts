import { ManualClock } from '@lib/deadline';
import {
  OutlierEjector,
  type OutlierEjectorOptions,
} from './outlier-ejector.js';

function setup(
  options: Omit<OutlierEjectorOptions, 'clock'> = {},
  keys = ['a', 'b', 'c'],
) {
  const clock = new ManualClock();
  const sut = new OutlierEjector({ ...options, clock });
  for (const key of keys) sut.add(key);
  return { clock, sut };
}

function repeat(times: number, action: () => void): void {
  for (let i = 0; i < times; i++) action();
}

describe(OutlierEjector.name, () => {
  it('ejects a replica after the configured consecutive failures', () => {
    const { sut } = setup({ consecutiveFailures: 3, failureRatio: 0 });
    repeat(2, () => sut.record('a', 'failure', 10));
    expect(sut.isEjected('a')).toBe(false);
    sut.record('a', 'failure', 10);
    expect(sut.isEjected('a')).toBe(true);
    expect(sut.snapshot('a')?.lastEjection).toBe('consecutive-failures');
  });

  it('starts the consecutive count again after a success', () => {
    const { sut } = setup({ consecutiveFailures: 3, failureRatio: 0 });
    repeat(2, () => sut.record('a', 'failure', 10));
    sut.record('a', 'success', 10);
    repeat(2, () => sut.record('a', 'failure', 10));
    expect(sut.isEjected('a')).toBe(false);
  });

  it('ejects on the failure ratio once the window holds enough calls', () => {
    const { sut } = setup({
      consecutiveFailures: 0,
      failureRatio: 0.5,
      failureMinimumCalls: 10,
    });
    repeat(4, () => {
      sut.record('a', 'success', 10);
      sut.record('a', 'failure', 10);
    });
    sut.record('a', 'success', 10);
    expect(sut.isEjected('a')).toBe(false);
    sut.record('a', 'failure', 10);
    expect(sut.isEjected('a')).toBe(true);
    expect(sut.snapshot('a')?.lastEjection).toBe('failure-ratio');
  });

  it('never counts cancelled calls or timeouts as failures', () => {
    const { sut } = setup({ consecutiveFailures: 2, failureMinimumCalls: 2 });
    repeat(50, () => {
      sut.record('a', 'ignored', 10);
      sut.record('a', 'timeout', 10);
    });
    expect(sut.isEjected('a')).toBe(false);
    expect(sut.snapshot('a')?.consecutiveFailures).toBe(0);
  });

  it('ejects a replica far slower than the median of its peers after enough samples', () => {
    const { sut } = setup({ slowMinimumSamples: 5 });
    repeat(5, () => {
      sut.record('b', 'success', 10);
      sut.record('c', 'success', 12);
    });
    repeat(4, () => sut.record('a', 'success', 800));
    expect(sut.isEjected('a')).toBe(false);
    sut.record('a', 'success', 800);
    expect(sut.isEjected('a')).toBe(true);
    expect(sut.snapshot('a')?.lastEjection).toBe('slow');
  });

  it('does not eject a replica for a few slow calls among fast ones', () => {
    const { sut } = setup({ slowMinimumSamples: 5 });
    repeat(10, () => sut.record('b', 'success', 10));
    repeat(6, () => sut.record('a', 'success', 10));
    repeat(4, () => sut.record('a', 'success', 900));
    expect(sut.isEjected('a')).toBe(false);
  });

  it('counts timeouts as latency samples, so a replica that always times out is ejected as slow', () => {
    const { sut } = setup({ slowMinimumSamples: 5 });
    repeat(5, () => sut.record('b', 'success', 10));
    repeat(5, () => sut.record('a', 'timeout', 600));
    expect(sut.isEjected('a')).toBe(true);
  });

  it('does not eject for latency below the absolute minimum, whatever the ratio', () => {
    const { sut } = setup({ slowMinimumSamples: 1, slowMinimumMs: 50 });
    repeat(5, () => sut.record('b', 'success', 1));
    repeat(20, () => sut.record('a', 'success', 40));
    expect(sut.isEjected('a')).toBe(false);
  });

  it('does not judge latency without peers that have answered often enough', () => {
    const { sut } = setup({ slowMinimumSamples: 5 });
    repeat(4, () => sut.record('b', 'success', 10));
    repeat(20, () => sut.record('a', 'success', 900));
    expect(sut.isEjected('a')).toBe(false);
  });

  it('lets the replica return by itself after the base ejection time', () => {
    const { sut, clock } = setup({
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
    });
    sut.record('a', 'failure', 10);
    clock.advance(999);
    expect(sut.isEjected('a')).toBe(true);
    clock.advance(1);
    expect(sut.isEjected('a')).toBe(false);
  });

  it('ejects a replica ejected again soon after for longer each time, up to the cap', () => {
    const { sut, clock } = setup({
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
      maxEjectionMs: 2_500,
    });
    const lengths: number[] = [];
    repeat(4, () => {
      sut.record('a', 'failure', 10);
      lengths.push(sut.snapshot('a')?.ejectedForMs ?? 0);
      clock.advance(lengths[lengths.length - 1]);
    });
    expect(lengths).toEqual([1_000, 2_000, 2_500, 2_500]);
    expect(sut.snapshot('a')?.ejections).toBe(4);
  });

  it('takes a step off the next ejection for each healthy base period since the return', () => {
    const { sut, clock } = setup({
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
    });
    sut.record('a', 'failure', 10);
    clock.advance(1_000);
    sut.record('a', 'failure', 10); // 2 × base
    clock.advance(2_000);
    sut.record('a', 'success', 10);
    clock.advance(2_000); // two healthy periods: back to 1 × base
    sut.record('a', 'failure', 10);
    expect(sut.snapshot('a')?.ejectedForMs).toBe(1_000);
  });

  it('judges a returning replica only on what it does after its return', () => {
    const { sut, clock } = setup({
      consecutiveFailures: 3,
      failureRatio: 0,
      baseEjectionMs: 1_000,
    });
    repeat(3, () => sut.record('a', 'failure', 10));
    clock.advance(1_000);
    repeat(2, () => sut.record('a', 'failure', 10));
    expect(sut.isEjected('a')).toBe(false);
  });

  it('never ejects more than the maximum share of the set', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const { sut } = setup(
      { consecutiveFailures: 1, maxEjectionPercent: 40 },
      keys,
    );
    for (const key of keys) sut.record(key, 'failure', 10);
    expect(keys.filter((k) => sut.isEjected(k))).toEqual(['a', 'b']);
  });

  it('always keeps one replica, whatever the share', () => {
    const { sut } = setup({ consecutiveFailures: 1, maxEjectionPercent: 100 }, [
      'a',
      'b',
    ]);
    sut.record('a', 'failure', 10);
    sut.record('b', 'failure', 10);
    expect([sut.isEjected('a'), sut.isEjected('b')]).toEqual([true, false]);
  });

  it('may eject one replica of a small set even when the share rounds down to zero', () => {
    const { sut } = setup({ consecutiveFailures: 1, maxEjectionPercent: 10 });
    sut.record('a', 'failure', 10);
    sut.record('b', 'failure', 10);
    expect([sut.isEjected('a'), sut.isEjected('b')]).toEqual([true, false]);
  });

  it('ejects nothing with a maximum share of zero', () => {
    const { sut } = setup({ consecutiveFailures: 1, maxEjectionPercent: 0 });
    sut.record('a', 'failure', 10);
    expect(sut.isEjected('a')).toBe(false);
  });

  it('ejects another once an ejected replica has returned', () => {
    const { sut, clock } = setup({
      consecutiveFailures: 1,
      maxEjectionPercent: 34,
      baseEjectionMs: 1_000,
    });
    sut.record('a', 'failure', 10);
    sut.record('b', 'failure', 10);
    expect(sut.isEjected('b')).toBe(false);
    clock.advance(1_000);
    sut.record('b', 'failure', 10);
    expect(sut.isEjected('b')).toBe(true);
  });
});
