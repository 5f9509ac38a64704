import { Client, Pool, type PoolClient } from 'pg';
import type { Deadline } from '@lib/deadline';
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
import { untilAborted } from '../core/until-aborted.js';

export interface PgDatabaseOptions {
  /** `postgres://user@host:5432/db`. */
  readonly connectionString: string;
  /** Name in logs and lost-deadline reports (the tier). @default 'db' */
  readonly name?: string;
  /** Pool size. @default 10 */
  readonly maxConnections?: number;
  /** `statement_timeout` of a query run with no deadline in scope (outside strict mode). @default 5000 */
  readonly noDeadlineTimeoutMs?: number;
  /** How long opening a connection may take. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/**
 * PostgreSQL through a node-postgres pool. node-postgres takes no AbortSignal, so each query is bound
 * to its deadline by hand (DESIGN.md §8): `SET LOCAL statement_timeout` from the remaining budget
 * inside the query's transaction, and `pg_cancel_backend` from another connection the moment the
 * deadline aborts. The connection is rolled back and returned to the pool healthy only after the
 * cancel has landed, so a late cancel can never hit the next borrower's query.
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

  constructor(private readonly options: PgDatabaseOptions) {
    super();
    this.name = options.name ?? 'db';
    this.noDeadlineTimeoutMs = options.noDeadlineTimeoutMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    // No client-side query_timeout: it destroys the socket. The server-side timeout stops the work instead.
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: this.connectTimeoutMs,
      keepAlive: true,
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
    };
  }

  async close(): Promise<void> {
    while (this.cleanups.size) await Promise.allSettled([...this.cleanups]);
    await this.pool.end();
  }

  protected async run<T>(
    deadline: Deadline | undefined,
    work: (tx: QueryRunner) => Promise<T>,
  ): Promise<T> {
    const signal = deadline?.signal;
    const client = await this.checkout(signal);
    const timeoutMs = statementTimeoutMs(deadline, this.noDeadlineTimeoutMs);
    let cancelling: Promise<void> | undefined;
    const onAbort = (): void => {
      cancelling = this.cancelBackend(backendPid(client));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const runner: QueryRunner = {
      query: async <R extends object>(
        text: string,
        params: QueryParams = [],
      ): Promise<R[]> => {
        // Work inside a transaction must not start another statement once the deadline is gone.
        if (signal?.aborted) throw signal.reason;
        return (await client.query<R>(text, params as unknown[])).rows;
      },
    };
    const body = (async () => {
      await client.query(beginWithTimeout(timeoutMs));
      const result = await work(runner);
      await client.query('COMMIT');
      return result;
    })();
    try {
      return await untilAborted(body, signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (isQueryCanceled(error)) {
        this.cancelledQueries++;
        throw queryTimedOut(timeoutMs, error);
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.track(this.giveBack(client, body, () => cancelling));
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
  ): Promise<void> {
    const ok = await body.then(
      () => true,
      () => false,
    );
    await cancelling();
    if (ok) {
      client.release();
      return;
    }
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (error) {
      // The connection itself is broken: destroy it rather than hand it to the next caller.
      client.release(error instanceof Error ? error : new Error(String(error)));
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
      const [row] = (
        await canceller.query<{ cancelled: boolean }>(
          'SELECT pg_cancel_backend($1) AS cancelled',
          [pid],
        )
      ).rows;
      if (row?.cancelled) this.cancelledQueries++;
    } catch {
      // Could not reach the server to cancel: the statement_timeout still stops the statement.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  private track(cleanup: Promise<void>): void {
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }
}

function backendPid(client: PoolClient): number {
  return (client as unknown as { processID: number }).processID;
}

/** Settles with `work`, or rejects with the abort reason as soon as `signal` aborts (the work goes on, to be cleaned up). */
