import { CancelledError, DeadlineExceededError, DownstreamError, GrpcStatus } from '@lib/deadline';
import { AttemptTimeoutError } from './attempt-timeout.error';
import { BreakerOpenError } from './breaker-open.error';
import { BulkheadFullError } from './bulkhead-full.error';

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
}

/** Reasons a downstream sends (`x-error-code`) when it failed fast on purpose: it is alive and answering. */
const DELIBERATE_UNAVAILABLE = new Set(['breaker_open', 'bulkhead_full']);

export type Classifier = (error: unknown, facts: AttemptFacts) => CallOutcome;

/**
 * Three-way outcome of a failed call. Failures: our own attempt deadline fired, or the downstream
 * is unavailable or too slow for a fair budget. Ignored: the caller cancelled or its inherited
 * deadline was too short, the breaker or bulkhead refused or aborted the call itself, a
 * downstream failed fast on purpose, and every business answer (invalid argument, not found,
 * declined…), which proves the downstream works.
 */
export const classifyOutcome: Classifier = (error, facts) => {
  if (AttemptTimeoutError.is(error)) return 'failure';
  if (BreakerOpenError.is(error) || BulkheadFullError.is(error)) return 'ignored';
  if (CancelledError.is(error) || DeadlineExceededError.is(error)) return 'ignored';
  if (!DownstreamError.is(error)) return 'ignored';
  if (error.code === GrpcStatus.DEADLINE_EXCEEDED) return facts.capped || facts.budgetMs >= facts.slowCallMs ? 'failure' : 'ignored';
  if (error.code === GrpcStatus.UNAVAILABLE) return error.reason !== undefined && DELIBERATE_UNAVAILABLE.has(error.reason) ? 'ignored' : 'failure';
  return 'ignored';
};
