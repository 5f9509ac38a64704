import { failureOf, GrpcStatus } from '@lib/deadline';

/** What one finished call tells a breaker. Only `failure` counts against it. */
export type CallOutcome = 'success' | 'failure' | 'ignored';

/** What the classifier knows about the attempt besides its error. */
export interface AttemptFacts {
  /** Budget the attempt was given. */
  readonly budgetMs: number;
  /** True when the budget was our own per-attempt/probe deadline, not what the caller had left. */
  readonly capped: boolean;
  /** A deadline shorter than this was "already too short": the downstream had no fair chance. */
  readonly slowCallMs: number;
  /** How long the attempt took. @default budgetMs */
  readonly elapsedMs?: number;
}

/** A timeout counts only when the downstream used (nearly) all the time it was given. */
const USED_BUDGET_SHARE = 0.8;

export type Classifier = (error: unknown, facts: AttemptFacts) => CallOutcome;

/**
 * Three-way outcome of a failed call. Failures: our own attempt deadline fired, the channel
 * reports the downstream unavailable, or the downstream used up a fair budget. Ignored: the caller
 * cancelled or its inherited deadline was too short, the breaker or bulkhead refused or aborted
 * the call itself, a downstream that answered UNAVAILABLE or an early DEADLINE_EXCEEDED itself
 * (its `x-error-code` shows it is alive, reporting a problem further down, which its own breaker
 * handles), and every business answer (invalid argument, not found, declined…).
 */
export const classifyOutcome: Classifier = (error, facts) => {
  const failure = failureOf(error);
  // Decided here: our own attempt deadline counts; our breaker, bulkhead, the caller's cancel and
  // its inherited deadline say nothing about the downstream.
  if (failure.origin === 'local')
    return failure.code === 'attempt_timeout' ? 'failure' : 'ignored';
  if (failure.status === GrpcStatus.DEADLINE_EXCEEDED) {
    const fair = facts.capped || facts.budgetMs >= facts.slowCallMs;
    const usedUp =
      (facts.elapsedMs ?? facts.budgetMs) >= facts.budgetMs * USED_BUDGET_SHARE;
    return fair && usedUp ? 'failure' : 'ignored';
  }
  if (failure.status === GrpcStatus.UNAVAILABLE)
    return failure.origin === 'transport' ? 'failure' : 'ignored';
  return 'ignored';
};
