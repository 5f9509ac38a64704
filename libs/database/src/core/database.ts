import {
  currentDeadline,
  type Deadline,
  reportLostDeadline,
} from '@lib/deadline';
import { describeQuery } from './query-target.js';

/** Parameters of one SQL statement, `$1`, `$2`, … in order. */
export type QueryParams = readonly unknown[];

/** Something that runs SQL: the database itself, or one open transaction. */
export interface QueryRunner {
  /** Runs one statement and returns its rows. */
  query<R extends object = Record<string, unknown>>(
    text: string,
    params?: QueryParams,
  ): Promise<R[]>;
}

export interface QueryOptions {
  /** The deadline to bind the work to. @default the current deadline (AsyncLocalStorage) */
  readonly deadline?: Deadline;
}

/** What `GET /health` shows about a database. */
export interface DatabaseStats {
  readonly kind: 'postgres' | 'pglite';
  /** Connections open / idle / callers waiting for one (postgres only). */
  readonly connections?: {
    readonly total: number;
    readonly idle: number;
    readonly waiting: number;
  };
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

  /** Shown in lost-deadline reports and logs. */
  protected abstract readonly name: string;

  /** One statement in its own transaction, bound to the deadline. */
  query<R extends object = Record<string, unknown>>(
    text: string,
    params: QueryParams = [],
    options: QueryOptions = {},
  ): Promise<R[]> {
    return this.bound(text, (tx) => tx.query<R>(text, params), options);
  }

  /**
   * Runs `work` in one transaction bound to the deadline: committed when it resolves, rolled back
   * when it throws or the deadline aborts. Use only `tx` inside it.
   */
  transaction<T>(
    work: (tx: QueryRunner) => Promise<T>,
    options: QueryOptions = {},
  ): Promise<T> {
    return this.bound('transaction', work, options);
  }

  /** The engine's part: one transaction under `deadline` (statement timeout, cancel on abort). */
  protected abstract run<T>(
    deadline: Deadline | undefined,
    work: (tx: QueryRunner) => Promise<T>,
  ): Promise<T>;

  // Not async: the lost-deadline report must run on the caller's stack, to name its call site.
  private bound<T>(
    what: string,
    work: (tx: QueryRunner) => Promise<T>,
    options: QueryOptions,
  ): Promise<T> {
    const deadline = options.deadline ?? currentDeadline();
    try {
      if (!deadline)
        reportLostDeadline('query', describeQuery(this.name, what));
      deadline?.throwIfExpired();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.run(deadline, work);
  }

  abstract stats(): DatabaseStats;

  /** Waits for queries being cancelled, then closes every connection. */
  abstract close(): Promise<void>;
}
