import {
  circuitBreaker,
  CircuitState,
  handleAll,
  SamplingBreaker,
} from 'cockatiel';
import { ManualClock } from '@lib/deadline';
import { WindowedBreaker } from './windowed-breaker.js';

describe(WindowedBreaker.name, () => {
  const narrative = (clock: ManualClock): WindowedBreaker =>
    new WindowedBreaker({
      windowMs: 60_000,
      minimumCalls: 20,
      failureRatio: 0.5,
      slowCallMs: 800,
      slowCallRatio: 0.8,
      clock,
    });

  it('does not open below the minimum number of calls, even when all fail', () => {
    const sut = narrative(new ManualClock());
    const opened = Array.from({ length: 19 }, () => sut.record('failure', 10));
    expect(opened).not.toContain(true);
  });

  it('opens at the minimum number of calls once the failure ratio is reached', () => {
    const sut = narrative(new ManualClock());
    for (let i = 0; i < 10; i++) sut.record('success', 10);
    for (let i = 0; i < 9; i++) expect(sut.record('failure', 10)).toBe(false);
    expect(sut.record('failure', 10)).toBe(true);
  });

  it('stays closed while failures are below the ratio', () => {
    const sut = narrative(new ManualClock());
    for (let i = 0; i < 11; i++) sut.record('success', 10);
    const opened = Array.from({ length: 9 }, () => sut.record('failure', 10));
    expect(opened).not.toContain(true);
  });

  it('opens on the slow-call ratio when calls succeed but slowly', () => {
    const sut = narrative(new ManualClock());
    for (let i = 0; i < 4; i++) sut.record('success', 10);
    const opened = Array.from({ length: 16 }, () => sut.record('success', 900));
    expect(opened.at(-1)).toBe(true);
    expect(opened.slice(0, -1)).not.toContain(true);
  });

  it('forgets failures older than its window after an idle period (19 failures, 10½ minutes idle, 1 failure stays closed)', () => {
    const clock = new ManualClock();
    const sut = narrative(clock);
    for (let i = 0; i < 19; i++) sut.record('failure', 10);
    clock.advance(10 * 60_000 + 30_000);
    expect(sut.record('failure', 10)).toBe(false);
  });

  it('plugs into cockatiel as an IBreaker: success() and failure() count like record()', () => {
    const sut = new WindowedBreaker({
      minimumCalls: 2,
      failureRatio: 0.5,
      clock: new ManualClock(),
    });
    sut.success();
    expect(sut.failure()).toBe(true);
  });

  describe('inside cockatiel’s own circuitBreaker', () => {
    beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
    afterEach(() => vi.useRealTimers());

    it('starts a fresh window when the circuit closes after its half-open sample (4.0.0 halfOpenSampling), so the old failures cannot reopen it', async () => {
      const sut = new WindowedBreaker({
        minimumCalls: 3,
        failureRatio: 0.5,
        clock: new ManualClock(),
      });
      const policy = circuitBreaker(handleAll, {
        halfOpenAfter: 5_000,
        halfOpenSampling: { calls: 2, threshold: 0 },
        breaker: sut,
      });
      const fail = (): Promise<never> => Promise.reject(new Error('down'));
      for (let i = 0; i < 3; i++) await policy.execute(fail).catch(() => 0);
      expect(policy.state).toBe(CircuitState.Open);
      vi.advanceTimersByTime(5_000);
      await policy.execute(() => 'ok');
      expect(policy.state).toBe(CircuitState.HalfOpen);
      await policy.execute(() => 'ok');
      expect(policy.state).toBe(CircuitState.Closed);
      expect(sut.counts()).toEqual({ calls: 1, failures: 0, slow: 0 });
      await policy.execute(fail).catch(() => 0);
      expect(policy.state).toBe(CircuitState.Closed);
    });
  });

  describe('cockatiel behaviour it replaces', () => {
    beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
    afterEach(() => vi.useRealTimers());

    it('cockatiel SamplingBreaker keeps failures older than its window after idle time (19 failures, 10½ minutes idle, 1 failure opens)', () => {
      const sampling = new SamplingBreaker({
        threshold: 0.5,
        duration: 60_000,
        minimumRps: 20 / 60,
      });
      for (let i = 0; i < 19; i++)
        expect(sampling.failure(CircuitState.Closed)).toBe(false);
      vi.advanceTimersByTime(10 * 60_000 + 30_000);
      expect(sampling.failure(CircuitState.Closed)).toBe(true);
    });
  });
});
