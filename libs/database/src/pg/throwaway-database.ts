import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A database created for one test run, and how to get rid of it. */
export interface ThrowawayDatabase {
  readonly name: string;
  /** Its connection URL. */
  readonly url: string;
  /** Ends every connection still open to it, then drops it. */
  drop(): Promise<void>;
}

/**
 * Creates `dr_test_<random>` on the server `serverUrl` points at (any database there serves as the
 * way in), for tests that need a real, empty PostgreSQL database of their own.
 */
export async function createThrowawayDatabase(
  serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres',
  prefix = 'dr_test',
): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin(serverUrl, async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}

async function admin(
  serverUrl: string,
  work: (client: Client) => Promise<void>,
): Promise<void> {
  const client = new Client({
    connectionString: serverUrl,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
