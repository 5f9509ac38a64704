import { ConstantBackoff, handleAll, retry } from 'cockatiel';
import { CancelledError, DownstreamError, GrpcStatus } from '@lib/deadline';
import { BreakerOpenError } from './breaker-open.error.js';
import { retryWithinBudget } from './budget-retry.js';

const unavailable = (): DownstreamError =>
  new DownstreamError(
    GrpcStatus.UNAVAILABLE,
    undefined,
    'unavailable',
    'inventory',
    'GetStock',
  );
const failingThen = (value: string, failures = 1) => {
  let calls = 0;
  return vi.fn(async () => {
    if (calls++ < failures) throw unavailable();
    return value;
  });
};
const base = {
  backoff: new ConstantBackoff(20),
  remainingMs: () => 1_000,
  expectedLatencyMs: () => 50,
  isRetryable: () => true,
};

describe(retryWithinBudget.name, () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('retries a retryable failure when the budget covers backoff, observed latency and reserve', async () => {
    const fn = failingThen('ok');
    const result = retryWithinBudget(fn, { ...base, reserveMs: 10 });
    await vi.advanceTimersByTimeAsync(20);
    await expect(result).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('gives up at once with the error when the remaining budget cannot cover another attempt', async () => {
    const fn = failingThen('ok');
    // 20 ms backoff + 50 ms latency + 10 ms reserve = 80 > 79.
    await expect(
      retryWithinBudget(fn, { ...base, remainingMs: () => 79, reserveMs: 10 }),
    ).rejects.toBeInstanceOf(DownstreamError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('never retries what the predicate refuses (a breaker rejection)', async () => {
    const fn = vi.fn(() =>
      Promise.reject(new BreakerOpenError('inventory', 'open', 1_000)),
    );
    await expect(
      retryWithinBudget(fn, {
        ...base,
        isRetryable: (e) => !BreakerOpenError.is(e),
      }),
    ).rejects.toBeInstanceOf(BreakerOpenError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('stops after maxAttempts', async () => {
    const fn = failingThen('ok', 5);
    const result = retryWithinBudget(fn, { ...base, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(await result).toBeInstanceOf(DownstreamError);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('ends the backoff sleep the moment the signal aborts, with its reason', async () => {
    const caller = new AbortController();
    const fn = failingThen('ok');
    const result = retryWithinBudget(fn, {
      ...base,
      backoff: new ConstantBackoff(10_000),
      remainingMs: () => 60_000,
      signal: caller.signal,
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    caller.abort(new CancelledError('client left'));
    expect(await result).toEqual(new CancelledError('client left'));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cockatiel: retry’s backoff sleep cannot be aborted, and the retry still runs after the caller left', async () => {
    const caller = new AbortController();
    const policy = retry(handleAll, {
      maxAttempts: 1,
      backoff: new ConstantBackoff(10_000),
    });
    const fn = failingThen('ok', 2);
    let settled = false;
    const result = policy
      .execute(fn, caller.signal)
      .finally(() => (settled = true))
      .catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1);
    caller.abort();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(settled).toBe(false);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await result;
    expect(settled).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
