import { Client } from 'pg';
import { pidCpuMs } from './process-cpu.js';

/** How often a window looks for backends, so one that exits mid-window loses at most this much of its CPU. */
const POLL_MS = 500;

/** A window of PostgreSQL server CPU, running; `stop()` ends it. */
export interface PgCpuWindow {
  /** CPU ms the database's backends used since the window started. */
  stop(): Promise<number>;
}

/**
 * The PostgreSQL server's CPU time spent for one database: the backends `pg_stat_activity` lists for
 * it (each stack under test has a database of its own), their user + system time read from
 * `/proc/<pid>/stat`. Needs the server on this machine, in this PID namespace (127.0.0.1 here).
 * Not counted: the postmaster forking a new backend, and background processes (WAL writer,
 * checkpointer, autovacuum), which serve every database at once.
 */
export class PgServerCpu {
  private constructor(private readonly client: Client) {}

  /** Watches the database `databaseUrl` names, over a connection of its own (left out of the count). */
  static async open(databaseUrl: string): Promise<PgServerCpu> {
    const client = new Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: 10_000,
    });
    // Dropping the database at the end terminates this connection too; that is no failure.
    client.on('error', () => undefined);
    await client.connect();
    const cpu = new PgServerCpu(client);
    if (!(await cpu.readable())) {
      await cpu.close();
      throw new Error(
        `cannot read the CPU time of PostgreSQL's processes from /proc (is the server at ${new URL(databaseUrl).host} on another host or in a container?)`,
      );
    }
    return cpu;
  }

  /** CPU ms so far of every backend serving the database now (this watcher's own left out). */
  async backends(): Promise<Map<number, number>> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const ms = pidCpuMs(pid);
      if (ms !== undefined) cpu.set(pid, ms);
    }
    return cpu;
  }

  /**
   * Starts counting: every backend present now from what it has used so far, every backend that
   * appears later (a pool opening a connection) from zero, each up to its last reading.
   */
  async window(): Promise<PgCpuWindow> {
    const first = await this.backends();
    const last = new Map(first);
    const look = async (): Promise<void> => {
      for (const [pid, ms] of await this.backends()) last.set(pid, ms);
    };
    let looking: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      looking = looking.then(look).catch(() => undefined);
    }, POLL_MS);
    return {
      stop: async () => {
        clearInterval(timer);
        await looking;
        await look();
        let ms = 0;
        for (const [pid, now] of last) ms += now - (first.get(pid) ?? 0);
        return ms;
      },
    };
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Whether this process can read the server's own /proc entry. */
  private async readable(): Promise<boolean> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pg_backend_pid() AS pid',
    );
    return pidCpuMs(rows[0].pid) !== undefined;
  }
}
