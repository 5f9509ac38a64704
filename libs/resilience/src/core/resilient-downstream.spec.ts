import {
  DeadlineExceededError,
  DownstreamError,
  GrpcStatus,
  ManualClock,
} from '@lib/deadline';
import { BreakerOpenError } from './breaker-open.error.js';
import { type BreakerAttempt } from './deadline-breaker.js';
import { ResilientDownstream } from './resilient-downstream.js';

const unavailable = (): DownstreamError =>
  new DownstreamError(
    GrpcStatus.UNAVAILABLE,
    undefined,
    'unavailable',
    'inventory',
    'Reserve',
  );

/** A downstream that answers after `ms` on the manual clock, or rejects with the abort reason. */
function after(clock: ManualClock, ms: number, value = 'ok') {
  return ({ signal }: BreakerAttempt): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => resolve(value), ms);
      signal.addEventListener(
        'abort',
        () => (clock.clearTimeout(timer), reject(signal.reason)),
        { once: true },
      );
    });
}

describe(ResilientDownstream.name, () => {
  it('gives each attempt the per-attempt deadline when the caller has more', async () => {
    const sut = new ResilientDownstream('inventory', {
      attemptTimeoutMs: 300,
      slowCallMs: 200,
      clock: new ManualClock(),
    });
    let budget = 0;
    await sut.execute(
      { method: 'Reserve', budgetMs: 5_000 },
      async (attempt) => void (budget = attempt.budgetMs),
    );
    expect(budget).toBe(300);
  });

  it('gives the attempt what the caller has left when that is less', async () => {
    const sut = new ResilientDownstream('inventory', {
      attemptTimeoutMs: 300,
      slowCallMs: 200,
      clock: new ManualClock(),
    });
    let budget = 0;
    await sut.execute(
      { method: 'Reserve', budgetMs: 120 },
      async (attempt) => void (budget = attempt.budgetMs),
    );
    expect(budget).toBe(120);
  });

  it('refuses a slow-call threshold that is not below the per-attempt timeout', () => {
    expect(
      () =>
        new ResilientDownstream('inventory', {
          attemptTimeoutMs: 300,
          slowCallMs: 300,
        }),
    ).toThrow(
      'inventory: slowCallMs (300) must be below attemptTimeoutMs (300)',
    );
  });

  it('retries idempotent methods only', async () => {
    const sut = new ResilientDownstream('inventory', {
      idempotentMethods: ['GetStock'],
      baseDelayMs: 0,
      maxDelayMs: 0,
      clock: new ManualClock(),
    });
    const reserve = vi.fn(() => Promise.reject(unavailable()));
    const getStock = vi
      .fn()
      .mockRejectedValueOnce(unavailable())
      .mockResolvedValueOnce('stock');
    await expect(
      sut.execute({ method: 'Reserve', budgetMs: 5_000 }, reserve),
    ).rejects.toBeInstanceOf(DownstreamError);
    await expect(
      sut.execute({ method: 'GetStock', budgetMs: 5_000 }, getStock),
    ).resolves.toBe('stock');
    expect(reserve).toHaveBeenCalledTimes(1);
    expect(getStock).toHaveBeenCalledTimes(2);
  });

  it('refuses up front, uncounted, a call whose budget is below the observed median while others are in flight', async () => {
    const clock = new ManualClock();
    const sut = new ResilientDownstream('inventory', {
      admissionMinSamples: 3,
      clock,
    });
    for (let i = 0; i < 3; i++) {
      const call = sut.execute(
        { method: 'Reserve', budgetMs: 5_000 },
        after(clock, 100),
      );
      clock.advance(100);
      await call;
    }
    const busy = sut.execute(
      { method: 'Reserve', budgetMs: 5_000 },
      after(clock, 100),
    );
    const error = await sut
      .execute({ method: 'Reserve', budgetMs: 60 }, after(clock, 100))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(String(error)).toContain(
      'not calling inventory.Reserve: 60 ms left is below its median latency of 100 ms',
    );
    clock.advance(100);
    await busy;
    expect(sut.snapshot()).toMatchObject({ calls: 4, failures: 0 });
  });

  it('lets a short-budget call through when nothing else is in flight', async () => {
    const clock = new ManualClock();
    const sut = new ResilientDownstream('inventory', {
      admissionMinSamples: 1,
      clock,
    });
    const first = sut.execute(
      { method: 'Reserve', budgetMs: 5_000 },
      after(clock, 100),
    );
    clock.advance(100);
    await first;
    await expect(
      sut.execute(
        { method: 'Reserve', budgetMs: 60 },
        async () => 'fast enough',
      ),
    ).resolves.toBe('fast enough');
  });

  it('aborts the calls running and the calls waiting in the bulkhead queue when the breaker opens', async () => {
    const clock = new ManualClock();
    const sut = new ResilientDownstream('inventory', {
      maxConcurrent: 2,
      minimumCalls: 1,
      clock,
    });
    const running = sut
      .execute({ method: 'Reserve', budgetMs: 5_000 }, after(clock, 1_000))
      .catch((e: unknown) => e);
    const tripping = sut
      .execute({ method: 'Reserve', budgetMs: 5_000 }, () =>
        Promise.reject(unavailable()),
      )
      .catch(() => undefined);
    const queued = sut
      .execute({ method: 'Reserve', budgetMs: 5_000 }, after(clock, 1_000))
      .catch((e: unknown) => e);
    expect(sut.snapshot()).toMatchObject({ running: 2, queued: 1 });
    await tripping;
    expect(sut.breaker.state).toBe('open');
    expect(await running).toBeInstanceOf(BreakerOpenError);
    expect(await queued).toBeInstanceOf(BreakerOpenError);
    expect(sut.snapshot()).toMatchObject({ running: 0, queued: 0 });
  });

  it('keeps one breaker per method with perMethod, so a failing method does not stop the others', async () => {
    const changes: string[] = [];
    const sut = new ResilientDownstream('inventory', {
      perMethod: true,
      minimumCalls: 1,
      clock: new ManualClock(),
    });
    sut.onStateChange((change) =>
      changes.push(`${change.breaker} ${change.to}`),
    );
    await sut
      .execute({ method: 'Reserve', budgetMs: 5_000 }, () =>
        Promise.reject(unavailable()),
      )
      .catch(() => undefined);
    await expect(
      sut.execute({ method: 'Reserve', budgetMs: 5_000 }, async () => 'ok'),
    ).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(
      sut.execute({ method: 'GetStock', budgetMs: 5_000 }, async () => 'stock'),
    ).resolves.toBe('stock');
    expect(changes).toEqual(['inventory.Reserve open']);
    expect(sut.snapshot()).toMatchObject({
      state: 'open',
      calls: 2,
      failures: 1,
      methods: {
        Reserve: { state: 'open' },
        GetStock: { state: 'closed', calls: 1 },
      },
    });
  });
});
