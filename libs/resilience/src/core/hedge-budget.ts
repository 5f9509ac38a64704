import { type Clock, systemClock } from '@lib/deadline';

export interface HedgeBudgetOptions {
  /** Hedges as a share of calls, in percent: each call credits this much of one hedge. @default 10 */
  readonly maxPercent?: number;
  /**
   * The reserve: hedges allowed per second whatever the traffic, so a quiet downstream can still
   * hedge once in a while (one saved at most, full at the start); 0 = none. @default 0.1 (one per 10 s)
   */
  readonly minPerSecond?: number;
  /** Most hedges the calls' credit can save up, so a long calm does not pay for a burst. @default 10 */
  readonly maxSaved?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Credit is counted in millionths of a hedge, in whole numbers, so 10 calls at 10 % make exactly one. */
const HEDGE = 1_000_000;

/**
 * How many hedges a downstream may send, as a token bucket (Finagle's RetryBudget, Envoy's
 * retry budget): every call credits `maxPercent` % of a hedge, every hedge spends a whole one, so
 * over N calls at most N × maxPercent / 100 hedges go out (plus the reserve: one at the start and
 * `minPerSecond` after). Credit saved is capped at `maxSaved`.
 */
export class HedgeBudget {
  private readonly creditPerCall: number;
  private readonly reservePerMs: number;
  private readonly maxCredit: number;
  private readonly clock: Clock;
  private credit = 0;
  private reserve: number;
  private reserveAt: number;

  constructor(options: HedgeBudgetOptions = {}) {
    const { maxPercent = 10, minPerSecond = 0.1, maxSaved = 10 } = options;
    const problems: string[] = [];
    if (!(maxPercent >= 0 && maxPercent <= 100))
      problems.push(`maxPercent must be within 0..100 (got ${maxPercent})`);
    if (!(minPerSecond >= 0) || minPerSecond === Infinity)
      problems.push(
        `minPerSecond must be a finite number ≥ 0 (got ${minPerSecond})`,
      );
    if (!(maxSaved >= 1) || maxSaved === Infinity)
      problems.push(`maxSaved must be a finite number ≥ 1 (got ${maxSaved})`);
    if (problems.length)
      throw new RangeError(`HedgeBudget: ${problems.join('; ')}`);
    this.creditPerCall = Math.round((maxPercent / 100) * HEDGE);
    this.reservePerMs = (minPerSecond / 1_000) * HEDGE;
    this.maxCredit = Math.floor(maxSaved * HEDGE);
    this.clock = options.clock ?? systemClock;
    this.reserve = minPerSecond > 0 ? HEDGE : 0;
    this.reserveAt = this.clock.now();
  }

  /** One call went out (hedged or not): credits its share of a hedge. */
  deposit(): void {
    this.credit = Math.min(this.maxCredit, this.credit + this.creditPerCall);
  }

  /** Takes one hedge, from the calls' credit or else the reserve; false when neither has a whole one. */
  tryWithdraw(nowMs = this.clock.now()): boolean {
    if (this.credit >= HEDGE) {
      this.credit -= HEDGE;
      return true;
    }
    this.reserve = Math.min(
      HEDGE,
      this.reserve + (nowMs - this.reserveAt) * this.reservePerMs,
    );
    this.reserveAt = nowMs;
    if (this.reserve < HEDGE) return false;
    this.reserve -= HEDGE;
    return true;
  }

  /** Whole hedges available now (credit and reserve). */
  available(nowMs = this.clock.now()): number {
    const reserve = Math.min(
      HEDGE,
      this.reserve + (nowMs - this.reserveAt) * this.reservePerMs,
    );
    return Math.floor(this.credit / HEDGE) + Math.floor(reserve / HEDGE);
  }
}
