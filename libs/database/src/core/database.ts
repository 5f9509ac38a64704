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
  /** Messages that waited for the server's answer (a statement, BEGIN, COMMIT, ROLLBACK, a cancel). */
  readonly roundTrips: number;
}

/**
 * A database whose every query is bound to a deadline: it refuses to start once the deadline has
 * passed, is cancelled on the server when the deadline aborts, and runs under a server-side
 * `statement_timeout` as a backstop (the connection's, for a single statement; the remaining budget,
 * for a transaction). A query with no deadline in scope is reported to the lost-deadline guard (and
 * refused in strict mode).
 *
 * An abstract class rather than an interface so that it can serve as a dependency-injection token.
 */
export abstract class Database implements QueryRunner {
  abstract readonly kind: 'postgres' | 'pglite';

  /** Shown in lost-deadline reports and logs. */
  protected abstract readonly name: string;

  /**
   * One statement, bound to the deadline: one round trip, no transaction around it (a statement is
   * atomic by itself). With no deadline in scope it runs in a transaction under the fallback timeout.
   */
  query<R extends object = Record<string, unknown>>(
    text: string,
    params: QueryParams = [],
    options: QueryOptions = {},
  ): Promise<R[]> {
    return this.bound(text, options, (deadline) =>
      deadline
        ? this.statement<R>(deadline, text, params)
        : this.run(undefined, (tx) => tx.query<R>(text, params)),
    );
  }

  /**
   * Runs `work` in one transaction bound to the deadline: committed when it resolves, rolled back
   * when it throws or the deadline aborts. Use only `tx` inside it, and only where atomicity needs
   * more than one statement: it costs a BEGIN and a COMMIT round trip.
   */
  transaction<T>(
    work: (tx: QueryRunner) => Promise<T>,
    options: QueryOptions = {},
  ): Promise<T> {
    return this.bound('transaction', options, (deadline) =>
      this.run(deadline, work),
    );
  }

  /** The engine's part: one statement on its own under `deadline` (cancel on abort). */
  protected abstract statement<R extends object>(
    deadline: Deadline,
    text: string,
    params: QueryParams,
  ): Promise<R[]>;

  /** The engine's part: one transaction under `deadline` (statement timeout, cancel on abort). */
  protected abstract run<T>(
    deadline: Deadline | undefined,
    work: (tx: QueryRunner) => Promise<T>,
  ): Promise<T>;

  // Not async: the lost-deadline report must run on the caller's stack, to name its call site.
  private bound<T>(
    what: string,
    options: QueryOptions,
    go: (deadline: Deadline | undefined) => Promise<T>,
  ): Promise<T> {
    const deadline = options.deadline ?? currentDeadline();
    try {
      if (!deadline)
        reportLostDeadline('query', describeQuery(this.name, what));
      deadline?.throwIfExpired();
    } catch (error) {
      return Promise.reject(error);
    }
    return go(deadline);
  }

  abstract stats(): DatabaseStats;

  /** Waits for queries being cancelled, then closes every connection. */
  abstract close(): Promise<void>;
}
