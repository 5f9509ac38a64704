/** The recovery-phase deadline, narrative 3.3 (with its `min(1.3, …)` typo fixed to a cap of 5). */
export interface ProbeBudgetInput {
  /** Deadline of the first probe. @default 200 */
  readonly baseMs?: number;
  /** Probes that failed in a row since the breaker last closed. */
  readonly failedProbes: number;
  /** What the caller has left; a probe never outlives its caller. @default Infinity */
  readonly remainingMs?: number;
}

const GROWTH = 1.3;
const MAX_FACTOR = 5;

/** `min(remaining, base × min(5, 1.3ⁿ))`: 200 ms base → 200 / 338 / 571 ms for n = 0 / 2 / 4, never above 1000 ms. */
export function probeBudgetMs({
  baseMs = 200,
  failedProbes,
  remainingMs = Infinity,
}: ProbeBudgetInput): number {
  return Math.min(
    remainingMs,
    baseMs * Math.min(MAX_FACTOR, GROWTH ** Math.max(0, failedProbes)),
  );
}
