// Deadline Relay's data access: every query bound to the request's deadline, on PostgreSQL or the
// embedded default. User-facing API first; framework-free core, then the drivers, then Nest.

export {
  Database,
  type QueryRunner,
  type QueryOptions,
  type QueryParams,
  type DatabaseStats,
} from './core/database';
export { openDatabase, type OpenDatabaseOptions } from './open-database';
export { migrate, type Migration, type MigrateOptions } from './core/migration';
export { isQueryCanceled, QUERY_CANCELED } from './core/query-timeout.error';
export { statementTimeoutMs } from './core/statement-timeout';

// Drivers
export { PgDatabase, type PgDatabaseOptions } from './pg/pg-database';
export {
  PgliteDatabase,
  type PgliteDatabaseOptions,
} from './pglite/pglite-database';
export {
  createThrowawayDatabase,
  type ThrowawayDatabase,
} from './pg/throwaway-database';

// Nest adapter
export {
  DatabaseModule,
  type DatabaseModuleOptions,
  type DatabaseModuleAsyncOptions,
} from './nest/database.module';
