import { DeadlineExceededError } from '@lib/deadline';

/** PostgreSQL's SQLSTATE for a statement stopped by `statement_timeout` or `pg_cancel_backend`. */
export const QUERY_CANCELED = '57014';

/** Whether a driver error is PostgreSQL saying it stopped the statement. */
export function isQueryCanceled(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === QUERY_CANCELED;
}

/**
 * The server stopped a query at its `statement_timeout`: the deadline ran out in the database.
 * A {@link DeadlineExceededError}, so it maps to DEADLINE_EXCEEDED / 504 like any other expiry.
 */
export function queryTimedOut(
  timeoutMs: number,
  cause: unknown,
): DeadlineExceededError {
  return new DeadlineExceededError(
    `query stopped by the database at its ${timeoutMs} ms statement_timeout`,
    { cause },
  );
}
