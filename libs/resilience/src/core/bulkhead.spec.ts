import { type BulkheadPolicy, bulkhead, TaskCancelledError } from 'cockatiel';
import { CancelledError } from '@lib/deadline';
import { Bulkhead } from './bulkhead.js';
import { BulkheadFullError } from './bulkhead-full.error.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
interface Tracked {
  state: 'pending' | 'resolved' | 'rejected';
  value: unknown;
}
function track(promise: Promise<unknown>): Tracked {
  const t: Tracked = { state: 'pending', value: undefined };
  promise.then(
    (value) => Object.assign(t, { state: 'resolved', value }),
    (value: unknown) => Object.assign(t, { state: 'rejected', value }),
  );
  return t;
}

describe(Bulkhead.name, () => {
  it('runs up to maxConcurrent calls at once and queues the next', async () => {
    const sut = new Bulkhead({
      name: 'inventory',
      maxConcurrent: 2,
      maxQueue: 5,
    });
    const g = gate();
    const started: number[] = [];
    const calls = [1, 2, 3].map((n) =>
      sut.execute(async () => (started.push(n), g.promise)),
    );
    await flush();
    expect(started).toEqual([1, 2]);
    expect(sut.queued).toBe(1);
    g.open();
    await Promise.all(calls);
    expect(started).toEqual([1, 2, 3]);
    expect(sut.running).toBe(0);
  });

  it('refuses at once with BulkheadFullError when the queue is full too', async () => {
    const sut = new Bulkhead({
      name: 'inventory',
      maxConcurrent: 1,
      maxQueue: 1,
    });
    const g = gate();
    const first = sut.execute(() => g.promise);
    const second = sut.execute(() => g.promise);
    await expect(sut.execute(() => g.promise)).rejects.toBeInstanceOf(
      BulkheadFullError,
    );
    g.open();
    await Promise.all([first, second]);
  });

  it('lets a queued call leave the queue the moment its signal aborts, with the signal’s reason', async () => {
    const sut = new Bulkhead({
      name: 'inventory',
      maxConcurrent: 1,
      maxQueue: 5,
    });
    const g = gate();
    const running = sut.execute(() => g.promise);
    const caller = new AbortController();
    const queued = sut
      .execute(() => Promise.resolve('ran'), caller.signal)
      .catch((e: unknown) => e);
    caller.abort(new CancelledError('deadline'));
    expect(await queued).toEqual(new CancelledError('deadline'));
    expect(sut.queued).toBe(0);
    g.open();
    await running;
    expect(sut.running).toBe(0);
  });

  it('hands a freed slot to the queued call before any newcomer', async () => {
    const sut = new Bulkhead({
      name: 'inventory',
      maxConcurrent: 1,
      maxQueue: 5,
    });
    const g = gate();
    const order: string[] = [];
    const first = sut.execute(() => g.promise);
    const queued = sut.execute(async () => void order.push('queued'));
    g.open();
    await first;
    const newcomer = sut.execute(async () => void order.push('newcomer'));
    await Promise.all([queued, newcomer]);
    expect(order).toEqual(['queued', 'newcomer']);
  });

  it('hands the slot to the call queued behind one that left the queue', async () => {
    const sut = new Bulkhead({
      name: 'inventory',
      maxConcurrent: 1,
      maxQueue: 5,
    });
    const g = gate();
    const running = sut.execute(() => g.promise);
    const caller = new AbortController();
    const leaver = sut
      .execute(() => Promise.resolve('ran'), caller.signal)
      .catch((e: unknown) => e);
    const behind = sut.execute(() => Promise.resolve('behind'));
    caller.abort(new CancelledError('deadline'));
    await leaver;
    expect(sut.queued).toBe(1);
    g.open();
    await running;
    await expect(behind).resolves.toBe('behind');
    expect(sut.running).toBe(0);
  });

  it('cockatiel: a queued call whose signal aborts stays queued until a slot frees up, then fails with TaskCancelledError, not its reason', async () => {
    const policy: BulkheadPolicy = bulkhead(1, 5);
    const g = gate();
    const running = policy.execute(() => g.promise);
    const caller = new AbortController();
    const queued = track(
      policy.execute(() => Promise.resolve('ran'), caller.signal),
    );
    caller.abort(new CancelledError('deadline'));
    await flush();
    expect(queued.state).toBe('pending');
    expect(policy.queueSlots).toBe(4);
    g.open();
    await running;
    await flush();
    expect(queued.value).toBeInstanceOf(TaskCancelledError);
  });

  it('cockatiel: since 4.0.0 the call queued behind an aborted one runs when the slot frees (3.2.1 left it stuck)', async () => {
    const policy: BulkheadPolicy = bulkhead(1, 5);
    const g = gate();
    const running = policy.execute(() => g.promise);
    const caller = new AbortController();
    const aborted = track(
      policy.execute(() => Promise.resolve('ran'), caller.signal),
    );
    const behind = track(policy.execute(() => Promise.resolve('behind')));
    caller.abort();
    g.open();
    await running;
    await flush();
    expect(aborted.state).toBe('rejected');
    expect(behind.value).toBe('behind');
    expect(policy.executionSlots).toBe(1);
    expect(policy.queueSlots).toBe(5);
  });
});
