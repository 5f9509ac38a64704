import type { Database } from './core/database.js';
import { PgDatabase } from './pg/pg-database.js';
import { PgliteDatabase } from './pglite/pglite-database.js';

export interface OpenDatabaseOptions {
  /**
   * `postgres://…` (or `postgresql://…`) for a PostgreSQL server; empty or `pglite:memory` for the
   * embedded engine in memory; `pglite:<directory>` for the embedded engine keeping its files there.
   */
  readonly url: string;
  /** Name in logs and lost-deadline reports. @default 'db' */
  readonly name?: string;
  /** Pool size (PostgreSQL only). @default 10 */
  readonly maxConnections?: number;
  /** `statement_timeout` of a query run with no deadline in scope (outside strict mode). @default 5000 */
  readonly noDeadlineTimeoutMs?: number;
}

/** Opens the database a URL names: a PostgreSQL server, or the embedded default when there is none. */
export async function openDatabase(
  options: OpenDatabaseOptions,
): Promise<Database> {
  const { url, ...rest } = options;
  if (/^postgres(ql)?:\/\//.test(url))
    return new PgDatabase({ connectionString: url, ...rest });
  if (url === '' || url === 'pglite:memory') return PgliteDatabase.open(rest);
  if (url.startsWith('pglite:'))
    return PgliteDatabase.open({
      ...rest,
      dataDir: url.slice('pglite:'.length),
    });
  throw new TypeError(
    `database URL must start with postgres://, postgresql:// or pglite: (got "${url.replace(/\/\/[^@/]*@/, '//…@')}")`,
  );
}
