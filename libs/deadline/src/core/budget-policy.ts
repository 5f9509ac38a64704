import { type InvalidTimeoutError } from './invalid-timeout.error.js';
import { ok, type Result } from './result.js';
import { parseTimeoutMs } from './request-timeout.js';

/** How the edge turns what a client asked for into the budget it gets. */
export interface BudgetPolicy {
  /** Budget for a request that states none. */
  readonly defaultBudgetMs: number;
  /** Ceiling: a larger request is clamped to it, so clients cannot buy more time than the system allows. */
  readonly maxBudgetMs: number;
  /** Floor: a request with less than this is refused at once without calling any tier. */
  readonly minBudgetMs: number;
}

/** One candidate budget as the transport found it. */
export interface BudgetSource {
  /** Name shown in errors, e.g. `x-request-timeout` or `?timeout`. */
  readonly name: string;
  readonly raw: string | readonly string[] | undefined;
}

export interface ResolvedBudget {
  /** The budget the request runs with. */
  readonly budgetMs: number;
  /** Which source decided it, or `default`. */
  readonly source: string;
  /** What the client asked for when it was clamped down to the maximum (`Infinity` past `Number.MAX_SAFE_INTEGER`). */
  readonly requestedMs?: number;
  /** True when the budget is below the policy's minimum: answer "deadline exceeded" without doing work. */
  readonly belowMinimum: boolean;
}

/** Checks a policy once at start-up; returns the list of problems (empty when valid). */
export function validateBudgetPolicy(policy: BudgetPolicy): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < 0)
      problems.push(
        `${key} must be a whole number of milliseconds ≥ 0, got ${value}`,
      );
  }
  if (policy.minBudgetMs > policy.maxBudgetMs)
    problems.push(
      `minBudgetMs (${policy.minBudgetMs}) exceeds maxBudgetMs (${policy.maxBudgetMs})`,
    );
  if (policy.defaultBudgetMs > policy.maxBudgetMs)
    problems.push(
      `defaultBudgetMs (${policy.defaultBudgetMs}) exceeds maxBudgetMs (${policy.maxBudgetMs})`,
    );
  if (policy.defaultBudgetMs < policy.minBudgetMs)
    problems.push(
      `defaultBudgetMs (${policy.defaultBudgetMs}) is below minBudgetMs (${policy.minBudgetMs})`,
    );
  return problems;
}

/**
 * Applies the policy: every present source must be valid (a malformed one is an error even
 * when another is fine), the smallest wins, the result is clamped to the maximum.
 */
export function resolveBudget(
  sources: readonly BudgetSource[],
  policy: BudgetPolicy,
): Result<ResolvedBudget, InvalidTimeoutError> {
  let smallest: { ms: number; source: string } | undefined;
  for (const { name, raw } of sources) {
    const parsed = parseTimeoutMs(name, raw);
    if (!parsed.ok) return parsed;
    if (
      parsed.value !== undefined &&
      (smallest === undefined || parsed.value < smallest.ms)
    ) {
      smallest = { ms: parsed.value, source: name };
    }
  }
  if (smallest === undefined) {
    return ok({
      budgetMs: policy.defaultBudgetMs,
      source: 'default',
      belowMinimum: false,
    });
  }
  if (smallest.ms > policy.maxBudgetMs) {
    return ok({
      budgetMs: policy.maxBudgetMs,
      source: smallest.source,
      requestedMs: smallest.ms,
      belowMinimum: false,
    });
  }
  return ok({
    budgetMs: smallest.ms,
    source: smallest.source,
    belowMinimum: smallest.ms < policy.minBudgetMs,
  });
}
