import { PGlite, type Transaction } from '@electric-sql/pglite';
import { abortable, type Deadline } from '@lib/deadline';
import {
  Database,
  type DatabaseStats,
  type QueryParams,
  type QueryRunner,
} from '../core/database.js';
import { isQueryCanceled, queryTimedOut } from '../core/query-timeout.error.js';
import { statementTimeoutMs } from '../core/statement-timeout.js';

export interface PgliteDatabaseOptions {
  /** Directory for the data files; in memory (gone when the process ends) when omitted. */
  readonly dataDir?: string;
  /** Name in logs and lost-deadline reports (the tier). @default 'db' */
  readonly name?: string;
  /** `statement_timeout` of a query run with no deadline in scope (outside strict mode). @default 5000 */
  readonly noDeadlineTimeoutMs?: number;
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly (PGlite), running the same SQL in-process,
 * so the demo needs no server. One connection, statements run one at a time.
 *
 * Deadlines bind it as far as a single-threaded engine allows: no statement starts once the deadline
 * has aborted, the caller is answered the moment it aborts, and an aborted transaction is rolled back.
 * A statement already running inside the engine cannot be interrupted (there is no second connection
 * to cancel from); the server-side cancellation is the PostgreSQL driver's job.
 */
export class PgliteDatabase extends Database {
  readonly kind = 'pglite' as const;
  protected readonly name: string;
  private readonly noDeadlineTimeoutMs: number;
  private readonly pending = new Set<Promise<unknown>>();
  private cancelledQueries = 0;
  private roundTrips = 0;

  private constructor(
    private readonly db: PGlite,
    options: PgliteDatabaseOptions,
  ) {
    super();
    this.name = options.name ?? 'db';
    this.noDeadlineTimeoutMs = options.noDeadlineTimeoutMs ?? 5_000;
  }

  static async open(
    options: PgliteDatabaseOptions = {},
  ): Promise<PgliteDatabase> {
    const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
    await db.waitReady;
    return new PgliteDatabase(db, options);
  }

  stats(): DatabaseStats {
    return {
      kind: this.kind,
      cancelledQueries: this.cancelledQueries,
      roundTrips: this.roundTrips,
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await this.db.close();
  }

  protected statement<R extends object>(
    deadline: Deadline,
    text: string,
    params: QueryParams,
  ): Promise<R[]> {
    const signal = deadline.signal;
    return this.settled(
      signal,
      undefined,
      (async () => {
        // Queued behind other work on the one connection: do not start once the deadline is gone.
        if (signal.aborted) throw signal.reason;
        this.roundTrips++;
        return (await this.db.query<R>(text, params as unknown[])).rows;
      })(),
    );
  }

  protected run<T>(
    deadline: Deadline | undefined,
    work: (tx: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const signal = deadline?.signal;
    const timeoutMs = statementTimeoutMs(deadline, this.noDeadlineTimeoutMs);
    const body = this.db.transaction(async (tx: Transaction) => {
      if (signal?.aborted) throw signal.reason;
      this.roundTrips++;
      await tx.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
      return work({
        query: async <R extends object>(
          text: string,
          params: QueryParams = [],
        ): Promise<R[]> => {
          if (signal?.aborted) throw signal.reason;
          this.roundTrips++;
          return (await tx.query<R>(text, params as unknown[])).rows;
        },
      });
    });
    return this.settled(signal, timeoutMs, body);
  }

  /** Answers at once when `signal` aborts, keeps `body` until it ends (close() waits), maps a server-side stop. */
  private async settled<T>(
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    body: Promise<T>,
  ): Promise<T> {
    this.pending.add(body);
    void body.then(
      () => this.pending.delete(body),
      () => this.pending.delete(body),
    );
    try {
      return await (signal ? abortable(body, signal) : body);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // Only a transaction sets a statement_timeout here; a single statement runs without one.
      if (timeoutMs !== undefined && isQueryCanceled(error)) {
        this.cancelledQueries++;
        throw queryTimedOut(timeoutMs, error);
      }
      throw error;
    }
  }
}
