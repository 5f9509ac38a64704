import { type Clock, ManualClock } from '@lib/deadline';
import { FaultRegistry, TooManyFaultsError } from './fault-registry.js';

describe(FaultRegistry.name, () => {
  it('catches calls on the fault’s method only', () => {
    const sut = new FaultRegistry();
    sut.add({ kind: 'abort', method: 'Reserve', percent: 100 });
    expect(sut.enter('Reserve').fault?.kind).toBe('abort');
    expect(sut.enter('GetStock').fault).toBeUndefined();
  });

  it('catches calls on every method with *', () => {
    const sut = new FaultRegistry();
    sut.add({ kind: 'abort', method: '*', percent: 100 });
    expect(sut.enter('Anything').fault?.kind).toBe('abort');
  });

  it('catches the share of calls its percentage asks for', () => {
    const rolls = [0.1, 0.29, 0.3, 0.9];
    const sut = new FaultRegistry({ random: () => rolls.shift()! });
    sut.add({ kind: 'abort', method: '*', percent: 30 });
    const caught = [1, 2, 3, 4].map(() => sut.enter('M').fault !== undefined);
    expect(caught).toEqual([true, true, false, false]);
  });

  it('holds no more calls than its cap and lets the rest pass', () => {
    const sut = new FaultRegistry();
    sut.add({ kind: 'hang', method: '*', percent: 100, maxConcurrent: 2 });
    const leases = [1, 2, 3].map(() => sut.enter('M'));
    expect(leases.map((l) => l.fault !== undefined)).toEqual([
      true,
      true,
      false,
    ]);
    leases[0].release();
    expect(sut.enter('M').fault).toBeDefined();
    expect(sut.list()[0]).toMatchObject({
      active: 2,
      peakActive: 2,
      injected: 3,
      matched: 4,
    });
  });

  it('counts a lease released twice once', () => {
    const sut = new FaultRegistry();
    sut.add({ kind: 'hang', method: '*', percent: 100, maxConcurrent: 1 });
    const lease = sut.enter('M');
    lease.release();
    lease.release();
    expect(sut.list()[0].active).toBe(0);
    expect(sut.loadByMethod().M).toEqual({ inFlight: 0, peakInFlight: 1 });
  });

  it('clears itself when its duration ends, and says so', () => {
    const clock = new ManualClock();
    const events: string[] = [];
    const sut = new FaultRegistry({
      clock,
      onChange: (e) => events.push(`${e.type} ${e.fault.id}`),
    });
    sut.add({ kind: 'abort', method: '*', percent: 100, durationMs: 1_000 });
    clock.advance(400);
    expect(sut.list()[0].expiresInMs).toBe(600);
    clock.advance(600);
    expect(sut.list()).toEqual([]);
    expect(events).toEqual(['added f1', 'expired f1']);
  });

  it('catches nothing once its expiry has passed even before its timer fires', () => {
    let now = 0;
    const clock: Clock = {
      now: () => now,
      setTimeout: () => ({}),
      clearTimeout: () => undefined,
    };
    const sut = new FaultRegistry({ clock });
    sut.add({ kind: 'abort', method: '*', percent: 100, durationMs: 10 });
    now = 10;
    expect(sut.enter('M').fault).toBeUndefined();
  });

  it('removes one fault by id, or all', () => {
    const sut = new FaultRegistry();
    const first = sut.add({ kind: 'abort', method: 'A', percent: 100 });
    sut.add({ kind: 'abort', method: 'B', percent: 100 });
    expect(sut.remove(first.id)).toBe(true);
    expect(sut.remove(first.id)).toBe(false);
    expect(sut.clear()).toBe(1);
    expect(sut.list()).toEqual([]);
  });

  it('refuses more faults than its limit', () => {
    const sut = new FaultRegistry({ maxFaults: 1 });
    sut.add({ kind: 'abort', method: '*', percent: 100 });
    expect(() => sut.add({ kind: 'abort', method: '*', percent: 100 })).toThrow(
      TooManyFaultsError,
    );
  });

  it('tracks the peak of calls in flight per method until reset', () => {
    const sut = new FaultRegistry();
    const a = sut.enter('M');
    const b = sut.enter('M');
    a.release();
    expect(sut.loadByMethod().M).toEqual({ inFlight: 1, peakInFlight: 2 });
    sut.resetLoad();
    b.release();
    expect(sut.loadByMethod().M).toEqual({ inFlight: 0, peakInFlight: 1 });
  });
});
