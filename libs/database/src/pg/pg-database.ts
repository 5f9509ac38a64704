import { Client, Pool, type PoolClient } from 'pg';
import { abortable, type Deadline } from '@lib/deadline';
import {
  Database,
  type DatabaseStats,
  type QueryParams,
  type QueryRunner,
} from '../core/database.js';
import { isQueryCanceled, queryTimedOut } from '../core/query-timeout.error.js';
import {
  beginWithTimeout,
  statementTimeoutMs,
} from '../core/statement-timeout.js';
import { StatementNames } from './statement-names.js';

export interface PgDatabaseOptions {
  /** `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** Name in logs and lost-deadline reports (the tier). @default 'db' */
  readonly name?: string;
  /** Pool size. @default 10 */
  readonly maxConnections?: number;
  /** `statement_timeout` of a query run with no deadline in scope (outside strict mode). @default 5000 */
  readonly noDeadlineTimeoutMs?: number;
  /**
   * The connection's `statement_timeout`, set once when it opens: the server-side backstop of a
   * single statement, which its deadline's cancel (`pg_cancel_backend`) normally ends long before.
   * Set it to the largest budget a caller can have. @default 30000
   */
  readonly maxStatementMs?: number;
  /** How long opening a connection may take. @default 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * How many distinct parameterised statements each connection prepares (parsed and planned once,
   * then only bound and executed); further ones are sent unnamed. 0 prepares none. A migration that
   * changes a table's columns while another process holds statements prepared against it can make
   * their next run fail once (PostgreSQL's "cached plan must not change result type"). @default 200
   */
  readonly preparedStatements?: number;
}

/**
 * PostgreSQL through a node-postgres pool. node-postgres takes no AbortSignal, so each query is bound
 * to its deadline by hand (DESIGN.md §8): `pg_cancel_backend` from another connection the moment the
 * deadline aborts, and a server-side `statement_timeout` behind it — the connection's own (set once)
 * for a single statement, which then costs one round trip; `SET LOCAL` from the remaining budget,
 * sent with BEGIN, for a transaction. The connection is rolled back if need be and returned to the
 * pool healthy only after the cancel has landed, so a late cancel can never hit the next borrower's
 * query.
 */
export class PgDatabase extends Database {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  protected readonly name: string;
  private readonly noDeadlineTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Connections being cancelled or rolled back; `close()` waits for them. */
  private readonly cleanups = new Set<Promise<void>>();
  private cancelledQueries = 0;
  private roundTrips = 0;
  private readonly maxStatementMs: number;
  private readonly statementNames: StatementNames;

  constructor(private readonly options: PgDatabaseOptions) {
    super();
    this.name = options.name ?? 'db';
    this.noDeadlineTimeoutMs = options.noDeadlineTimeoutMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.maxStatementMs = Math.max(
      1,
      Math.trunc(options.maxStatementMs ?? 30_000),
    );
    this.statementNames = new StatementNames(options.preparedStatements ?? 200);
    // No client-side query_timeout: it destroys the socket. The server-side timeout stops the work
    // instead; the connection's is sent in the startup message, so it costs no round trip.
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
      statement_timeout: this.maxStatementMs,
    });
    // An idle connection dropped by the server (restart, admin kill) must not crash the process;
    // the pool discards it and opens a fresh one on demand.
    this.pool.on('error', () => undefined);
  }

  stats(): DatabaseStats {
    return {
      kind: this.kind,
      connections: {
        total: this.pool.totalCount,
        idle: this.pool.idleCount,
        waiting: this.pool.waitingCount,
      },
      cancelledQueries: this.cancelledQueries,
      roundTrips: this.roundTrips,
    };
  }

  async close(): Promise<void> {
    while (this.cleanups.size) await Promise.allSettled([...this.cleanups]);
    await this.pool.end();
  }

  protected statement<R extends object>(
    deadline: Deadline,
    text: string,
    params: QueryParams,
  ): Promise<R[]> {
    return this.onConnection(deadline, this.maxStatementMs, false, (send) =>
      send<R>(text, params),
    );
  }

  protected run<T>(
    deadline: Deadline | undefined,
    work: (tx: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = statementTimeoutMs(deadline, this.noDeadlineTimeoutMs);
    const signal = deadline?.signal;
    return this.onConnection(deadline, timeoutMs, true, async (send) => {
      await send(beginWithTimeout(timeoutMs));
      const result = await work({
        query: <R extends object>(text: string, params: QueryParams = []) => {
          // Work inside a transaction must not start another statement once the deadline is gone.
          if (signal?.aborted) return Promise.reject(signal.reason as Error);
          return send<R>(text, params);
        },
      });
      await send('COMMIT');
      return result;
    });
  }

  /**
   * Borrows a connection for `body` under `deadline`: cancels the backend's statement when the
   * deadline aborts, maps a server-side stop to {@link queryTimedOut}, and gives the connection back
   * (rolled back first when `inTransaction` and it failed) once any cancel has landed.
   */
  private async onConnection<T>(
    deadline: Deadline | undefined,
    timeoutMs: number,
    inTransaction: boolean,
    body: (
      send: <R extends object>(
        text: string,
        params?: QueryParams,
      ) => Promise<R[]>,
    ) => Promise<T>,
  ): Promise<T> {
    const signal = deadline?.signal;
    const client = await this.checkout(signal);
    let cancelling: Promise<void> | undefined;
    const onAbort = (): void => {
      cancelling = this.cancelBackend(backendPid(client));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const send = async <R extends object>(
      text: string,
      params: QueryParams = [],
    ): Promise<R[]> => {
      this.roundTrips++;
      const name = this.statementNames.nameOf(text, params.length);
      return (
        await client.query<R>(
          name === undefined
            ? { text, values: params as unknown[] }
            : { name, text, values: params as unknown[] },
        )
      ).rows;
    };
    const work = body(send);
    try {
      return await (signal ? abortable(work, signal) : work);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (isQueryCanceled(error)) {
        this.cancelledQueries++;
        throw queryTimedOut(timeoutMs, error);
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.track(this.giveBack(client, work, () => cancelling, inTransaction));
    }
  }

  /** Borrows a connection, giving up (and giving it back when it comes) if the deadline aborts first. */
  private checkout(signal: AbortSignal | undefined): Promise<PoolClient> {
    const pending = this.pool.connect();
    if (!signal) return pending;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (client) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) client.release();
          else resolve(client);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Once the statement has ended (finished or cancelled) and any cancel has landed: roll back if needed, then release. */
  private async giveBack(
    client: PoolClient,
    body: Promise<unknown>,
    cancelling: () => Promise<void> | undefined,
    inTransaction: boolean,
  ): Promise<void> {
    const failure = await body.then(
      () => undefined,
      (error: unknown) => error ?? new Error('query failed'),
    );
    await cancelling();
    if (failure === undefined) {
      client.release();
      return;
    }
    if (!inTransaction) {
      // A single statement the server refused or stopped has rolled itself back; any other failure
      // (the socket) means the connection cannot be trusted with the next borrower.
      client.release(isServerError(failure) ? undefined : asError(failure));
      return;
    }
    try {
      this.roundTrips++;
      await client.query('ROLLBACK');
      client.release();
    } catch (error) {
      // The connection itself is broken: destroy it rather than hand it to the next caller.
      client.release(asError(error));
    }
  }

  /** Stops the backend's current statement from a separate connection (the pool may be exhausted). */
  private async cancelBackend(pid: number): Promise<void> {
    const canceller = new Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: this.connectTimeoutMs,
    });
    canceller.on('error', () => undefined);
    try {
      await canceller.connect();
      this.roundTrips++;
      const [row] = (
        await canceller.query<{ cancelled: boolean }>(
          'SELECT pg_cancel_backend($1) AS cancelled',
          [pid],
        )
      ).rows;
      if (row?.cancelled) this.cancelledQueries++;
    } catch {
      // Could not reach the server to cancel: the statement_timeout still stops the statement (for a
      // single statement, the connection's maxStatementMs).
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  private track(cleanup: Promise<void>): void {
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }
}

/** An error the server sent (it has a SQLSTATE), as opposed to one of the connection. */
function isServerError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

function backendPid(client: PoolClient): number {
  return (client as unknown as { processID: number }).processID;
}

/** Settles with `work`, or rejects with the abort reason as soon as `signal` aborts (the work goes on, to be cleaned up). */
