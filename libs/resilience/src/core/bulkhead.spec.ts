import { type BulkheadPolicy, bulkhead } from 'cockatiel';
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

  it('cockatiel: a queued call whose signal aborts stays queued until a slot frees up', async () => {
    const policy: BulkheadPolicy = bulkhead(1, 5);
    const g = gate();
    void policy.execute(() => g.promise);
    const caller = new AbortController();
    let settled = false;
    const queued = policy
      .execute(() => Promise.resolve('ran'), caller.signal)
      .finally(() => (settled = true))
      .catch(() => undefined);
    caller.abort();
    await flush();
    expect(settled).toBe(false);
    expect(policy.queueSlots).toBe(4);
    g.open();
    await queued;
  });
});
