import { type Clock, systemClock } from '@lib/deadline';
import { HedgeBudget, type HedgeBudgetOptions } from './hedge-budget.js';
import { HedgeDelay, type HedgeDelayOptions } from './hedge-delay.js';

/** Everything that decides whether and when one downstream's calls are hedged. All optional. */
export interface HedgePolicyOptions
  extends Omit<HedgeDelayOptions, 'clock'>, Omit<HedgeBudgetOptions, 'clock'> {
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * When one downstream's calls get a second attempt: each method waits out its own adaptive delay
 * ({@link HedgeDelay}, p95 of its recent successful calls), all methods share one
 * {@link HedgeBudget}, and a hedge goes out only when the call's remaining budget still leaves
 * room for a typical (median) answer, since a hedge that cannot finish in time only adds load.
 */
export class HedgePolicy {
  readonly budget: HedgeBudget;
  private readonly delays = new Map<string, HedgeDelay>();
  private readonly clock: Clock;

  constructor(private readonly options: HedgePolicyOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.budget = new HedgeBudget({ ...options, clock: this.clock });
    // Checks the delay options now, not at a method's first call.
    new HedgeDelay({ ...options, clock: this.clock });
  }

  /**
   * A call of `method` starts with `budgetMs` to spend: credits the budget with it, and answers how
   * long to wait before hedging it, in ms; undefined when it will not be hedged (too few samples
   * yet, or no room left for a typical answer once the delay is over).
   */
  plan(
    method: string,
    budgetMs: number,
    nowMs = this.clock.now(),
  ): number | undefined {
    this.budget.deposit();
    const delay = this.delayOf(method);
    const delayMs = delay.delayMs(nowMs);
    if (delayMs === undefined) return undefined;
    return leavesRoom(budgetMs - delayMs, delay.typicalMs(nowMs))
      ? delayMs
      : undefined;
  }

  /**
   * The delay is over and the call has `remainingMs` left: whether the hedge goes now. Yes only
   * with room for a typical answer and a hedge in the budget, which a yes takes.
   */
  mayHedge(
    method: string,
    remainingMs: number,
    nowMs = this.clock.now(),
  ): boolean {
    return (
      leavesRoom(remainingMs, this.delayOf(method).typicalMs(nowMs)) &&
      this.budget.tryWithdraw(nowMs)
    );
  }

  /** A call of `method` answered successfully `latencyMs` after its first attempt started. */
  answered(method: string, latencyMs: number, nowMs = this.clock.now()): void {
    this.delayOf(method).record(latencyMs, nowMs);
  }

  /** Successful calls of `method` in its window now. */
  samples(method: string, nowMs = this.clock.now()): number {
    return this.delays.get(method)?.samples(nowMs) ?? 0;
  }

  private delayOf(method: string): HedgeDelay {
    let delay = this.delays.get(method);
    if (!delay) {
      delay = new HedgeDelay({ ...this.options, clock: this.clock });
      this.delays.set(method, delay);
    }
    return delay;
  }
}

/** The rule: an attempt started with `remainingMs` left must have time for a typical answer. */
function leavesRoom(
  remainingMs: number,
  typicalMs: number | undefined,
): boolean {
  return typicalMs !== undefined && remainingMs >= typicalMs;
}
