import { EventEmitter, type Event } from 'cockatiel';
import { type Clock, systemClock, type TimerHandle } from '@lib/deadline';
import { AttemptTimeoutError } from './attempt-timeout.error.js';
import { BreakerOpenError } from './breaker-open.error.js';
import {
  type CallOutcome,
  type Classifier,
  classifyOutcome,
} from './call-outcome.js';
import { probeBudgetMs } from './probe-budget.js';
import { type WindowCounts } from './rolling-window.js';
import {
  WindowedBreaker,
  type WindowedBreakerOptions,
} from './windowed-breaker.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface DeadlineBreakerOptions extends WindowedBreakerOptions {
  /** Name in errors, logs and health (`inventory`). */
  readonly name: string;
  /** How long the breaker stays open before it lets one probe through. @default 5_000 */
  readonly openMs?: number;
  /** Deadline of the first half-open probe; grows ×1.3 per failed probe, up to ×5. @default 200 */
  readonly probeBaseMs?: number;
  /** Sorts errors into failure / ignored. @default classifyOutcome */
  readonly classify?: Classifier;
  /**
   * Active probe (e.g. a `grpc.health.v1` check): when set, the breaker probes by itself as soon
   * as the open period ends, so recovery does not wait for a user request. Must honour `signal`.
   */
  readonly activeProbe?: (attempt: BreakerAttempt) => Promise<unknown>;
}

/** What the guarded function is given. */
export interface BreakerAttempt {
  /** Aborts when the caller does, when the probe deadline fires, or when the breaker opens. */
  readonly signal: AbortSignal;
  /** Budget for this attempt: the caller's, or the shorter probe deadline in half-open. */
  readonly budgetMs: number;
  readonly probe: boolean;
}

export interface BreakerCall {
  /** The caller's own signal (deadline, client gone). */
  readonly signal?: AbortSignal;
  /** What the caller can give this attempt. @default Infinity */
  readonly budgetMs?: number;
  /** True when `budgetMs` is our per-attempt deadline rather than all the caller had left. @default false */
  readonly capped?: boolean;
}

export interface BreakerStateChange {
  readonly breaker: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: string;
  readonly counts: WindowCounts;
}

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
  readonly inFlight: number;
  readonly failedProbes: number;
  /** Until the next probe may run (open) or the running probe's deadline (half-open). */
  readonly retryAfterMs?: number;
}

/**
 * A circuit breaker that understands deadlines. Unlike cockatiel's `CircuitBreakerPolicy`:
 * opening aborts every call in flight (reason {@link BreakerOpenError}); callers arriving while
 * the single half-open probe runs are refused at once instead of waiting on it; the probe runs
 * under the recovery-phase deadline and cannot hang; only `failure` outcomes count.
 */
export class DeadlineBreaker {
  readonly name: string;
  private readonly counter: WindowedBreaker;
  private readonly clock: Clock;
  private readonly openMs: number;
  private readonly probeBaseMs: number;
  private readonly classify: Classifier;
  private readonly activeProbe: DeadlineBreakerOptions['activeProbe'];
  private readonly stateChanges = new EventEmitter<BreakerStateChange>();
  /** How to abort each call in flight (closed state). */
  private readonly inFlight = new Set<(reason: unknown) => void>();

  private current: BreakerState = 'closed';
  private nextProbeAt = 0;
  private probeEndsAt = 0;
  private failedProbes = 0;
  private probeTimer: TimerHandle | undefined;
  private disposed = false;

  /** Fired on every state change, with the reason. */
  readonly onStateChange: Event<BreakerStateChange> =
    this.stateChanges.addListener;

  constructor(options: DeadlineBreakerOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.counter = new WindowedBreaker({ ...options, clock: this.clock });
    this.openMs = options.openMs ?? 5_000;
    this.probeBaseMs = options.probeBaseMs ?? 200;
    this.classify = options.classify ?? classifyOutcome;
    this.activeProbe = options.activeProbe;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Calls running through the breaker right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get slowCallMs(): number {
    return this.counter.slowCallMs;
  }

  /** Runs `fn` if the breaker allows it, or throws {@link BreakerOpenError} at once. */
  execute<T>(
    fn: (attempt: BreakerAttempt) => Promise<T>,
    call: BreakerCall = {},
  ): Promise<T> {
    if (this.current === 'closed') return this.run(fn, call, false);
    const now = this.clock.now();
    if (this.current === 'open' && now >= this.nextProbeAt)
      return this.run(fn, call, true);
    const retryAfterMs =
      this.current === 'open' ? this.nextProbeAt - now : this.probeEndsAt - now;
    return Promise.reject(
      new BreakerOpenError(
        this.name,
        this.current === 'open' ? 'open' : 'probe-busy',
        Math.max(1, retryAfterMs),
      ),
    );
  }

  snapshot(): BreakerSnapshot {
    const now = this.clock.now();
    const until =
      this.current === 'open'
        ? this.nextProbeAt
        : this.current === 'half-open'
          ? this.probeEndsAt
          : undefined;
    return {
      state: this.current,
      ...this.counter.counts(),
      inFlight: this.inFlight.size,
      failedProbes: this.failedProbes,
      ...(until === undefined
        ? {}
        : { retryAfterMs: Math.max(0, Math.ceil(until - now)) }),
    };
  }

  /** Stops the active-probe timer. */
  dispose(): void {
    this.disposed = true;
    this.clearProbeTimer();
  }

  /**
   * One call through the breaker. Written without `async` and without a listener on the call's own
   * signal: a fresh AbortSignal's first listener is the costly part of a call (see the bench), so
   * aborts (caller, probe deadline, opening) settle the call directly through `abort`.
   */
  private run<T>(
    fn: (attempt: BreakerAttempt) => Promise<T>,
    call: BreakerCall,
    probe: boolean,
  ): Promise<T> {
    const callerSignal = call.signal;
    if (callerSignal?.aborted) return Promise.reject(callerSignal.reason);
    const callerBudgetMs = call.budgetMs ?? Infinity;
    const budgetMs = probe
      ? probeBudgetMs({
          baseMs: this.probeBaseMs,
          failedProbes: this.failedProbes,
          remainingMs: callerBudgetMs,
        })
      : callerBudgetMs;
    const capped = probe ? budgetMs < callerBudgetMs : (call.capped ?? false);
    const controller = new AbortController();
    const startedAt = this.clock.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let probeTimer: TimerHandle | undefined;
      const finish = (ok: boolean, value: unknown): void => {
        if (settled) return;
        settled = true;
        if (probeTimer !== undefined) this.clock.clearTimeout(probeTimer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
        this.inFlight.delete(abort);
        const elapsedMs = this.clock.now() - startedAt;
        if (ok) {
          this.settle(probe, 'success', elapsedMs);
          resolve(value as T);
        } else {
          this.settle(
            probe,
            this.classify(value, {
              budgetMs,
              capped,
              slowCallMs: this.counter.slowCallMs,
              elapsedMs,
            }),
            elapsedMs,
            value,
          );
          reject(value);
        }
      };
      // Once aborted, the abort's reason is the truth (caller left, probe deadline, breaker opened),
      // and the caller is released now, even if the call ignores its signal.
      const abort = (reason: unknown): void => {
        if (settled) return;
        controller.abort(reason);
        finish(false, reason);
      };
      const onCallerAbort = (): void => abort(callerSignal!.reason);
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      if (probe) {
        this.transition(
          'half-open',
          `probe with a ${Math.round(budgetMs)} ms deadline`,
        );
        this.probeEndsAt = startedAt + budgetMs;
        // The probe's own deadline, so a probe that ignores its budget still cannot hold the breaker.
        if (Number.isFinite(budgetMs))
          probeTimer = this.clock.setTimeout(
            () => abort(new AttemptTimeoutError(this.name, budgetMs)),
            budgetMs,
          );
      } else {
        this.inFlight.add(abort);
      }
      let work: Promise<T>;
      try {
        work = fn({ signal: controller.signal, budgetMs, probe });
      } catch (error) {
        finish(false, error);
        return;
      }
      work.then(
        (value) => finish(true, value),
        (error: unknown) => finish(false, error),
      );
    });
  }

  private settle(
    probe: boolean,
    outcome: CallOutcome,
    durationMs: number,
    error?: unknown,
  ): void {
    if (!probe) {
      if (
        outcome !== 'ignored' &&
        this.current === 'closed' &&
        this.counter.record(outcome, durationMs)
      )
        this.open(`thresholds crossed (${describe(this.counter.counts())})`);
      return;
    }
    if (outcome === 'success') {
      this.failedProbes = 0;
      this.counter.reset();
      this.transition(
        'closed',
        `probe succeeded in ${Math.round(durationMs)} ms`,
      );
    } else if (outcome === 'failure') {
      this.failedProbes++;
      this.open(
        `probe ${this.failedProbes} failed after ${Math.round(durationMs)} ms: ${summary(error)}`,
      );
    } else {
      // Says nothing about the downstream (caller left, business answer): let the next call probe.
      this.nextProbeAt = this.clock.now();
      this.transition('open', 'probe inconclusive');
      this.scheduleActiveProbe(this.openMs);
    }
  }

  private open(reason: string): void {
    this.nextProbeAt = this.clock.now() + this.openMs;
    this.transition('open', reason);
    // Narrative 3.1: calls bound to an opened breaker stop now, not at their deadlines.
    if (this.inFlight.size) {
      const abortReason = new BreakerOpenError(
        this.name,
        'opened-in-flight',
        this.openMs,
      );
      const aborting = [...this.inFlight];
      this.inFlight.clear();
      for (const abort of aborting) abort(abortReason);
    }
    this.scheduleActiveProbe(this.openMs);
  }

  private scheduleActiveProbe(afterMs: number): void {
    const probe = this.activeProbe;
    if (!probe || this.disposed) return;
    this.clearProbeTimer();
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      if (this.current !== 'open' || this.clock.now() < this.nextProbeAt)
        return;
      this.run(probe, {}, true).catch(() => undefined);
    }, afterMs);
  }

  private clearProbeTimer(): void {
    if (this.probeTimer !== undefined) this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    this.current = to;
    if (to === 'closed') this.clearProbeTimer();
    if (from !== to)
      this.stateChanges.emit({
        breaker: this.name,
        from,
        to,
        reason,
        counts: this.counter.counts(),
      });
  }
}

/** A short, single-line account of a failure for the state-change log. */
function summary(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function describe({ calls, failures, slow }: WindowCounts): string {
  return `${failures} of ${calls} calls failed, ${slow} slow`;
}
