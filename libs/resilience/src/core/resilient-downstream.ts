import { type Clock, DeadlineExceededError, systemClock } from '@lib/deadline';
import { BreakerOpenError } from './breaker-open.error.js';
import { Bulkhead } from './bulkhead.js';
import { type Classifier, classifyOutcome } from './call-outcome.js';
import {
  type BreakerAttempt,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerStateChange,
  DeadlineBreaker,
  type DeadlineBreakerOptions,
} from './deadline-breaker.js';
import { LatencyTracker } from './latency-tracker.js';
import { retryWithinBudget, type RetryOptions } from './budget-retry.js';

/** Everything that guards one downstream. All optional; defaults follow the narrative (60 s, 20 calls, 0.5). */
export interface ResilienceOptions
  extends Omit<DeadlineBreakerOptions, 'name' | 'activeProbe'>, RetryOptions {
  /** Per-attempt deadline; 0 means an attempt may use all the caller has left. @default 0 */
  readonly attemptTimeoutMs?: number;
  /** Bulkhead: calls running at once. @default 100 */
  readonly maxConcurrent?: number;
  /** Bulkhead: calls waiting for a slot. @default 100 */
  readonly maxQueue?: number;
  /** Methods safe to call twice; only these are retried. @default [] */
  readonly idempotentMethods?: readonly string[];
  /** Latency samples needed before admission refuses short budgets. @default 20 */
  readonly admissionMinSamples?: number;
  /** Time kept back for the reply, in the retry budget check. @default 0 */
  readonly reserveMs?: number;
  /** One breaker per method (`inventory.Reserve`) instead of one for the whole downstream. @default false */
  readonly perMethod?: boolean;
  /** Active probe for recovery (see {@link DeadlineBreakerOptions.activeProbe}). @default none */
  readonly activeProbe?: (attempt: BreakerAttempt) => Promise<unknown>;
}

/** One call as the guard sees it. */
export interface GuardedCall {
  readonly method: string;
  /** What the caller can give this call. */
  readonly budgetMs: number;
  /** The caller's signal (its deadline). */
  readonly signal?: AbortSignal;
}

export interface DownstreamSnapshot extends BreakerSnapshot {
  readonly running: number;
  readonly queued: number;
  readonly p50Ms: number;
  /** With `perMethod`: each method's breaker (the fields above then sum them; `state` is the worst). */
  readonly methods?: Readonly<Record<string, BreakerSnapshot>>;
}

const SEVERITY: Readonly<Record<BreakerState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/**
 * One downstream's guard, outermost first: deadline-aware admission, budget-aware retry
 * (idempotent methods only), the breaker, the bulkhead. `fn` receives the attempt's signal and
 * budget, which may be shorter than the caller's (per-attempt or probe deadline).
 */
export class ResilientDownstream {
  /** The downstream's breaker (without `perMethod`). */
  readonly breaker: DeadlineBreaker;
  private readonly methodBreakers = new Map<string, DeadlineBreaker>();
  private readonly stateListeners: ((change: BreakerStateChange) => void)[] =
    [];
  private readonly bulkhead: Bulkhead;
  private readonly latency = new LatencyTracker();
  private readonly clock: Clock;
  private readonly attemptTimeoutMs: number;
  /** The methods safe to call twice: retried here, and hedged by {@link hedgingMiddleware}. */
  readonly idempotentMethods: ReadonlySet<string>;
  private readonly admissionMinSamples: number;
  private readonly classify: Classifier;
  private readonly isRetryable = (error: unknown): boolean =>
    !BreakerOpenError.is(error) &&
    this.classify(error, {
      budgetMs: 0,
      capped: true,
      slowCallMs: Infinity,
    }) === 'failure';

  constructor(
    readonly name: string,
    private readonly options: ResilienceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.classify = options.classify ?? classifyOutcome;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 0;
    if (
      this.attemptTimeoutMs > 0 &&
      (options.slowCallMs ?? 1_000) >= this.attemptTimeoutMs
    ) {
      throw new RangeError(
        `${name}: slowCallMs (${options.slowCallMs ?? 1_000}) must be below attemptTimeoutMs (${this.attemptTimeoutMs})`,
      );
    }
    this.idempotentMethods = new Set(options.idempotentMethods ?? []);
    this.admissionMinSamples = options.admissionMinSamples ?? 20;
    this.breaker = new DeadlineBreaker({ ...options, name });
    this.bulkhead = new Bulkhead({
      name,
      maxConcurrent: options.maxConcurrent,
      maxQueue: options.maxQueue,
    });
  }

  /** Told about every state change of this downstream's breaker(s). */
  onStateChange(listener: (change: BreakerStateChange) => void): void {
    this.stateListeners.push(listener);
    this.breaker.onStateChange(listener);
    for (const breaker of this.methodBreakers.values())
      breaker.onStateChange(listener);
  }

  /** The breaker a call to `method` goes through. */
  breakerFor(method: string): DeadlineBreaker {
    if (!this.options.perMethod) return this.breaker;
    let breaker = this.methodBreakers.get(method);
    if (!breaker) {
      breaker = new DeadlineBreaker({
        ...this.options,
        name: `${this.name}.${method}`,
      });
      for (const listener of this.stateListeners)
        breaker.onStateChange(listener);
      this.methodBreakers.set(method, breaker);
    }
    return breaker;
  }

  async execute<T>(
    call: GuardedCall,
    fn: (attempt: BreakerAttempt) => Promise<T>,
  ): Promise<T> {
    const startedAt = this.clock.now();
    const breaker = this.breakerFor(call.method);
    const remainingMs = (): number =>
      call.budgetMs - (this.clock.now() - startedAt);
    this.admit(call);
    const attempt = (): Promise<T> => {
      const left = remainingMs();
      const capped = this.attemptTimeoutMs > 0 && this.attemptTimeoutMs < left;
      return breaker.execute(
        (granted) =>
          this.bulkhead.execute(async () => {
            const sentAt = this.clock.now();
            const result = await fn(granted);
            this.latency.record(this.clock.now() - sentAt);
            return result;
          }, granted.signal),
        {
          signal: call.signal,
          budgetMs: capped ? this.attemptTimeoutMs : left,
          capped,
        },
      );
    };
    if (
      !this.idempotentMethods.has(call.method) ||
      (this.options.maxAttempts ?? 2) <= 1
    )
      return attempt();
    return retryWithinBudget(attempt, {
      ...this.options,
      signal: call.signal,
      remainingMs,
      expectedLatencyMs: () => this.latency.p50(),
      isRetryable: this.isRetryable,
    });
  }

  snapshot(): DownstreamSnapshot {
    const common = {
      running: this.bulkhead.running,
      queued: this.bulkhead.queued,
      p50Ms: Math.round(this.latency.p50() * 10) / 10,
    };
    if (!this.options.perMethod)
      return { ...this.breaker.snapshot(), ...common };
    const methods: Record<string, BreakerSnapshot> = {};
    let total: BreakerSnapshot = {
      state: 'closed',
      calls: 0,
      failures: 0,
      slow: 0,
      inFlight: 0,
      failedProbes: 0,
    };
    for (const [method, breaker] of this.methodBreakers) {
      const one = (methods[method] = breaker.snapshot());
      total = {
        state:
          SEVERITY[one.state] > SEVERITY[total.state] ? one.state : total.state,
        calls: total.calls + one.calls,
        failures: total.failures + one.failures,
        slow: total.slow + one.slow,
        inFlight: total.inFlight + one.inFlight,
        failedProbes: Math.max(total.failedProbes, one.failedProbes),
      };
    }
    return { ...total, ...common, methods };
  }

  dispose(): void {
    this.breaker.dispose();
    for (const breaker of this.methodBreakers.values()) breaker.dispose();
  }

  /** Refuses, up front and without counting it, a call that cannot finish in time — unless it is the only one. */
  private admit(call: GuardedCall): void {
    if (
      this.latency.count < this.admissionMinSamples ||
      this.bulkhead.running + this.bulkhead.queued === 0
    )
      return;
    const p50 = this.latency.p50();
    if (call.budgetMs < p50) {
      throw new DeadlineExceededError(
        `not calling ${this.name}.${call.method}: ${Math.round(call.budgetMs)} ms left is below its median latency of ${Math.round(p50)} ms`,
      );
    }
  }
}
