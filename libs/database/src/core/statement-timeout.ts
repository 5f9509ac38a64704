import type { Deadline } from '@lib/deadline';

/**
 * The `statement_timeout` to set for work under `deadline`: what is left, whole milliseconds,
 * at least 1 (`0` would mean "no timeout" to PostgreSQL).
 */
export function statementTimeoutMs(
  deadline: Deadline | undefined,
  noDeadlineMs: number,
): number {
  if (!deadline) return Math.max(1, Math.ceil(noDeadlineMs));
  return Math.max(1, Math.floor(deadline.remaining()));
}

/** SQL that opens a transaction bound to `timeoutMs` (one round trip: simple protocol, two statements). */
export function beginWithTimeout(timeoutMs: number): string {
  // An integer we computed ourselves: safe to inline, and SET takes no parameters.
  return `BEGIN; SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(timeoutMs))}`;
}
