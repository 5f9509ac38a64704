// Deadline Relay's data access: every query bound to the request's deadline, on PostgreSQL or the
// embedded default. User-facing API first; framework-free core, then the drivers, then Nest.

export {
  Database,
  type QueryRunner,
  type QueryOptions,
  type QueryParams,
  type DatabaseStats,
} from './core/database.js';
export { openDatabase, type OpenDatabaseOptions } from './open-database.js';
export {
  migrate,
  type Migration,
  type MigrateOptions,
} from './core/migration.js';
export { isQueryCanceled, QUERY_CANCELED } from './core/query-timeout.error.js';
export { statementTimeoutMs } from './core/statement-timeout.js';
export { WriteBatch, type WriteBatchOptions } from './core/write-batch.js';

// Drivers
export { PgDatabase, type PgDatabaseOptions } from './pg/pg-database.js';
export {
  PgliteDatabase,
  type PgliteDatabaseOptions,
} from './pglite/pglite-database.js';
export {
  createThrowawayDatabase,
  type ThrowawayDatabase,
} from './pg/throwaway-database.js';

// Nest adapter
export {
  DatabaseModule,
  type DatabaseModuleOptions,
  type DatabaseModuleAsyncOptions,
} from './nest/database.module.js';
