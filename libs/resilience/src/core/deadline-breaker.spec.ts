import { getEventListeners } from 'node:events';
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleAll,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
} from 'cockatiel';
import {
  CancelledError,
  DownstreamError,
  GrpcStatus,
  ManualClock,
} from '@lib/deadline';
import { AttemptTimeoutError } from './attempt-timeout.error.js';
import { BreakerOpenError } from './breaker-open.error.js';
import {
  type BreakerAttempt,
  DeadlineBreaker,
  type BreakerStateChange,
} from './deadline-breaker.js';

const unavailable = (): DownstreamError =>
  new DownstreamError(
    GrpcStatus.UNAVAILABLE,
    undefined,
    'unavailable',
    'inventory',
    'Reserve',
  );
const fail = (): Promise<never> => Promise.reject(unavailable());
/** A business answer: the downstream is alive, the request was refused. */
const outOfStock = (): DownstreamError =>
  new DownstreamError(
    GrpcStatus.FAILED_PRECONDITION,
    'out_of_stock',
    'none left',
    'inventory',
    'Reserve',
  );
const ok = (): Promise<string> => Promise.resolve('ok');
/** Settles only when its signal aborts, with the abort reason: a downstream that hangs but honours cancellation. */
const hang = ({ signal }: BreakerAttempt): Promise<never> =>
  new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), {
      once: true,
    }),
  );
const never = (): Promise<never> => new Promise(() => undefined);

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
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Plain cockatiel 4.0.0, for the characterization tests: a `CircuitBreakerPolicy` that opens on
 * one `UNAVAILABLE` and lets a probe through 5 s later. It reads `Date.now()`, so tests drive it
 * with Vitest's fake timers.
 */
function cockatielBreaker() {
  return circuitBreaker(
    handleWhen(
      (e) => DownstreamError.is(e) && e.code === GrpcStatus.UNAVAILABLE,
    ),
    { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(1) },
  );
}

function setup(
  options: Partial<ConstructorParameters<typeof DeadlineBreaker>[0]> = {},
) {
  const clock = new ManualClock();
  const changes: BreakerStateChange[] = [];
  const sut = new DeadlineBreaker({
    name: 'inventory',
    minimumCalls: 2,
    failureRatio: 0.5,
    openMs: 5_000,
    probeBaseMs: 200,
    clock,
    ...options,
  });
  sut.onStateChange((change) => changes.push(change));
  const trip = async (): Promise<void> => {
    for (let i = 0; i < 2; i++) await sut.execute(fail).catch(() => undefined);
  };
  return { sut, clock, changes, trip };
}

describe(DeadlineBreaker.name, () => {
  it('passes calls through and their results back while closed', async () => {
    const { sut } = setup();
    await expect(sut.execute(ok)).resolves.toBe('ok');
    expect(sut.state).toBe('closed');
  });

  it('opens once the thresholds are crossed, with the reason in the state change', async () => {
    const { sut, changes, trip } = setup();
    await trip();
    expect(sut.state).toBe('open');
    expect(changes).toEqual([
      expect.objectContaining({
        breaker: 'inventory',
        from: 'closed',
        to: 'open',
        reason: 'thresholds crossed (2 of 2 calls failed, 0 slow)',
      }),
    ]);
  });

  it('does not count business errors, however many', async () => {
    const { sut } = setup();
    for (let i = 0; i < 50; i++) {
      await sut
        .execute(() => Promise.reject(outOfStock()))
        .catch(() => undefined);
    }
    expect(sut.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('fails fast while open, with the time until the next probe', async () => {
    const { sut, clock, trip } = setup();
    await trip();
    clock.advance(1_500);
    const error = await sut.execute(ok).catch((e: unknown) => e);
    expect(BreakerOpenError.is(error) && error).toMatchObject({
      rejection: 'open',
      retryAfterMs: 3_500,
      code: GrpcStatus.UNAVAILABLE,
    });
  });

  it('gives the half-open probe the recovery-phase deadline, growing with each failed probe', async () => {
    const { sut, clock, trip } = setup();
    await trip();
    const budgets: number[] = [];
    for (let n = 0; n < 5; n++) {
      clock.advance(5_000);
      await sut
        .execute((attempt) => (budgets.push(attempt.budgetMs), fail()), {
          budgetMs: 10_000,
        })
        .catch(() => undefined);
    }
    expect(budgets.map(Math.round)).toEqual([200, 260, 338, 439, 571]);
  });

  it('never gives the probe more than the caller has left', async () => {
    const { sut, clock, trip } = setup();
    await trip();
    clock.advance(5_000);
    let budget = 0;
    await sut.execute((attempt) => ((budget = attempt.budgetMs), ok()), {
      budgetMs: 80,
    });
    expect(budget).toBe(80);
  });

  it('closes when the probe succeeds, with a fresh window', async () => {
    const { sut, clock, trip, changes } = setup();
    await trip();
    clock.advance(5_000);
    await expect(sut.execute(ok)).resolves.toBe('ok');
    expect(sut.snapshot()).toMatchObject({
      state: 'closed',
      calls: 0,
      failedProbes: 0,
    });
    expect(changes.map((c) => c.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('ends a probe that hangs at its deadline and opens again', async () => {
    const { sut, clock, trip } = setup();
    await trip();
    clock.advance(5_000);
    const probe = track(sut.execute(hang));
    clock.advance(200);
    await flush();
    expect(probe.value).toBeInstanceOf(AttemptTimeoutError);
    expect(sut.snapshot()).toMatchObject({ state: 'open', failedProbes: 1 });
  });

  it('leaves no listener on the caller’s signal after calls finish', async () => {
    const { sut } = setup();
    const caller = new AbortController();
    await sut.execute(ok, { signal: caller.signal });
    await sut.execute(fail, { signal: caller.signal }).catch(() => undefined);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('probes by itself with the active probe as soon as the open period ends, and closes', async () => {
    const activeProbe = vi.fn(ok);
    const { sut, clock, trip } = setup({ activeProbe });
    await trip();
    clock.advance(4_999);
    expect(activeProbe).not.toHaveBeenCalled();
    clock.advance(1);
    await flush();
    expect(activeProbe).toHaveBeenCalledWith(
      expect.objectContaining({ budgetMs: 200, probe: true }),
    );
    expect(sut.state).toBe('closed');
    sut.dispose();
  });

  describe('calls in flight when the breaker opens', () => {
    it('are aborted the moment it opens, with a tagged reason', async () => {
      const { sut, trip } = setup();
      const inFlight = [track(sut.execute(hang)), track(sut.execute(hang))];
      await trip();
      await flush();
      expect(inFlight.map((t) => t.state)).toEqual(['rejected', 'rejected']);
      expect(inFlight[0].value).toBeInstanceOf(BreakerOpenError);
      expect(inFlight[0].value).toMatchObject({
        rejection: 'opened-in-flight',
      });
      expect(sut.snapshot()).toMatchObject({
        calls: 2,
        failures: 2,
        inFlight: 0,
      });
    });

    it('cockatiel: are left running, holding only the caller’s own signal, which it never aborts', async () => {
      const policy = cockatielBreaker();
      const caller = new AbortController();
      let given: AbortSignal | undefined;
      const inFlight = track(
        policy.execute(({ signal }) => {
          given = signal;
          return hang({ signal, budgetMs: Infinity, probe: false });
        }, caller.signal),
      );
      await policy.execute(fail).catch(() => undefined);
      await flush();
      expect(policy.state).toBe(CircuitState.Open);
      expect(given).toBe(caller.signal);
      expect(given?.aborted).toBe(false);
      expect(inFlight.state).toBe('pending');
      caller.abort();
      await flush();
    });
  });

  describe('callers arriving while the half-open probe runs', () => {
    it('are refused at once with the time until the probe’s deadline, whatever the probe does', async () => {
      const { sut, clock, trip } = setup();
      await trip();
      clock.advance(5_000);
      const probe = track(sut.execute(never));
      clock.advance(50);
      const late = track(sut.execute(ok));
      await flush();
      expect(probe.state).toBe('pending');
      expect(late.state).toBe('rejected');
      expect(late.value).toMatchObject({
        tag: 'BreakerOpenError',
        rejection: 'probe-busy',
        retryAfterMs: 150,
      });
      clock.advance(150);
      await flush();
      expect(sut.state).toBe('open');
    });

    it('cockatiel: wait for the probe and ignore their own abort signal (a hanging probe holds them forever)', async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      try {
        const policy = circuitBreaker(handleAll, {
          halfOpenAfter: 5_000,
          breaker: new ConsecutiveBreaker(1),
        });
        await policy.execute(fail).catch(() => undefined);
        vi.advanceTimersByTime(5_000);
        void policy.execute(never);
        const caller = new AbortController();
        const late = track(policy.execute(ok, caller.signal));
        caller.abort();
        vi.advanceTimersByTime(60_000);
        await flush();
        expect(late.state).toBe('pending');
      } finally {
        vi.useRealTimers();
      }
    });

    it('cockatiel: are released only by the probe’s result; one that aborted meanwhile gets TaskCancelledError, the others run with their own signal', async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      try {
        const policy = cockatielBreaker();
        await policy.execute(fail).catch(() => undefined);
        vi.advanceTimersByTime(5_000);
        const probe = gate<string>();
        void policy.execute(() => probe.promise);
        const left = new AbortController();
        const leaver = track(policy.execute(ok, left.signal));
        const stayer = new AbortController();
        let given: AbortSignal | undefined;
        const waiter = track(
          policy.execute(
            ({ signal }) => ((given = signal), ok()),
            stayer.signal,
          ),
        );
        left.abort(new CancelledError('client left'));
        await flush();
        expect(leaver.state).toBe('pending');
        probe.open('ok');
        await flush();
        expect(policy.state).toBe(CircuitState.Closed);
        expect(leaver.value).toBeInstanceOf(TaskCancelledError);
        expect(waiter.value).toBe('ok');
        // 4.0.0's fix (#112): 3.2.1 ran a released waiter without its signal.
        expect(given).toBe(stayer.signal);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('a probe that ends in an error the breaker does not count', () => {
    it('leaves the breaker open, not closed, and lets the next call probe at once', async () => {
      const { sut, clock, trip, changes } = setup();
      await trip();
      clock.advance(5_000);
      await expect(
        sut.execute(() => Promise.reject(outOfStock())),
      ).rejects.toBeInstanceOf(DownstreamError);
      expect(sut.snapshot()).toMatchObject({
        state: 'open',
        failedProbes: 0,
        retryAfterMs: 0,
      });
      expect(changes.at(-1)).toMatchObject({
        from: 'half-open',
        to: 'open',
        reason: 'probe inconclusive',
      });
      let probed = false;
      await sut.execute((attempt) => ((probed = attempt.probe), ok()));
      expect(probed).toBe(true);
      expect(sut.state).toBe('closed');
    });

    it('cockatiel: closes the circuit (an error its policy does not handle counts as a half-open success)', async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      try {
        const policy = cockatielBreaker();
        await policy.execute(fail).catch(() => undefined);
        expect(policy.state).toBe(CircuitState.Open);
        vi.advanceTimersByTime(5_000);
        await expect(
          policy.execute(() => Promise.reject(outOfStock())),
        ).rejects.toBeInstanceOf(DownstreamError);
        expect(policy.state).toBe(CircuitState.Closed);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('a caller’s own abort during a probe', () => {
    it('is reported as the caller’s cancellation, not a timeout, and does not count as a failed probe', async () => {
      const { sut, clock, trip } = setup();
      await trip();
      clock.advance(5_000);
      const caller = new AbortController();
      const probe = track(sut.execute(hang, { signal: caller.signal }));
      caller.abort(new CancelledError());
      await flush();
      expect(probe.value).toBeInstanceOf(CancelledError);
      expect(sut.snapshot()).toMatchObject({
        state: 'open',
        failedProbes: 0,
        retryAfterMs: 0,
      });
    });

    it('cockatiel: timeout() reports it as a timeout and fires onTimeout, though the inner signal carries the caller’s reason', async () => {
      const policy = timeout(10_000, TimeoutStrategy.Aggressive);
      const onTimeout = vi.fn();
      policy.onTimeout(onTimeout);
      const caller = new AbortController();
      let inner: AbortSignal | undefined;
      const call = policy
        .execute(({ signal }) => ((inner = signal), never()), caller.signal)
        .catch((e: unknown) => e);
      const reason = new CancelledError();
      caller.abort(reason);
      const error = await call;
      expect(error).toBeInstanceOf(TaskCancelledError);
      expect(String(error)).toMatch(/timed out after 10000ms/);
      expect(onTimeout).toHaveBeenCalledTimes(1);
      // 4.0.0 (#101) forwards the reason into the derived signal (3.2.1 gave an AbortError), but
      // what the policy throws and reports is still a timeout.
      expect(inner?.reason).toBe(reason);
    });
  });
});
