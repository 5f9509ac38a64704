import type { Deadline } from '@lib/deadline';

/** Parameters of one SQL statement, `$1`, `$2`, … in order. */
export type QueryParams = readonly unknown[];

/** Something that runs SQL: the database itself, or one open transaction. */
export interface QueryRunner {
  /** Runs one statement and returns its rows. */
  query<R extends object = Record<string, unknown>>(text: string, params?: QueryParams): Promise<R[]>;
}

export interface QueryOptions {
  /** The deadline to bind the work to. @default the current deadline (AsyncLocalStorage) */
  readonly deadline?: Deadline;
}

/** What `GET /health` shows about a database. */
export interface DatabaseStats {
  readonly kind: 'postgres' | 'pglite';
  /** Connections open / idle / callers waiting for one (postgres only). */
  readonly connections?: { readonly total: number; readonly idle: number; readonly waiting: number };
  /** Queries stopped on the server because their deadline aborted or their statement_timeout fired. */
  readonly cancelledQueries: number;
}

/**
 * A database whose every query is bound to a deadline: it refuses to start once the deadline has
 * passed, runs under a server-side `statement_timeout` taken from the remaining budget, and is
 * cancelled on the server when the deadline aborts. A query with no deadline in scope is
 * reported to the lost-deadline guard (and refused in strict mode).
 *
 * An abstract class rather than an interface so that it can serve as a dependency-injection token.
 */
export abstract class Database implements QueryRunner {
  abstract readonly kind: 'postgres' | 'pglite';

  /** One statement in its own transaction, bound to the deadline. */
  abstract query<R extends object = Record<string, unknown>>(text: string, params?: QueryParams, options?: QueryOptions): Promise<R[]>;

  /**
   * Runs `work` in one transaction bound to the deadline: committed when it resolves, rolled back
   * when it throws or the deadline aborts. Use only `tx` inside it.
   */
  abstract transaction<T>(work: (tx: QueryRunner) => Promise<T>, options?: QueryOptions): Promise<T>;

  abstract stats(): DatabaseStats;

  /** Waits for queries being cancelled, then closes every connection. */
  abstract close(): Promise<void>;
}
