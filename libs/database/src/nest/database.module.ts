import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type ModuleMetadata,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { lostDeadlineCount } from '@lib/deadline';
import { Database } from '../core/database.js';
import { migrate, type Migration } from '../core/migration.js';
import { openDatabase, type OpenDatabaseOptions } from '../open-database.js';

export interface DatabaseModuleOptions extends OpenDatabaseOptions {
  /** Schema that holds this service's tables (its own, so services can share a server or a database). */
  readonly schema: string;
  /** Applied on start, before the service takes requests. @default [] */
  readonly migrations?: readonly Migration[];
  /** Where to publish a live snapshot (pool, cancelled queries, lost deadlines), e.g. `(name, source) => health.register(name, source)`. */
  readonly report?: (name: string, source: () => unknown) => void;
}

export interface DatabaseModuleAsyncOptions extends Pick<
  ModuleMetadata,
  'imports'
> {
  readonly useFactory: (
    ...args: never[]
  ) => DatabaseModuleOptions | Promise<DatabaseModuleOptions>;
  readonly inject?: unknown[];
}

@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Provides {@link Database} (inject it by its class): opened from the URL, migrated before the
 * application starts, closed on shutdown after queries being cancelled have finished.
 */
@Module({})
export class DatabaseModule {
  static forRootAsync(options: DatabaseModuleAsyncOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: Database,
          inject: (options.inject ?? []) as never[],
          useFactory: async (...args: never[]) => {
            const resolved = await options.useFactory(...args);
            const logger = new Logger('Database');
            const db = await openDatabase(resolved);
            try {
              const applied = await migrate(
                db,
                resolved.schema,
                resolved.migrations ?? [],
              );
              logger.log({
                msg: 'database ready',
                kind: db.kind,
                schema: resolved.schema,
                migrationsApplied: applied,
              });
              resolved.report?.('database', () => ({
                ...db.stats(),
                lostDeadlines: lostDeadlineCount(),
              }));
            } catch (error) {
              await db.close().catch(() => undefined);
              throw error;
            }
            return db;
          },
        },
        DatabaseLifecycle,
      ],
      exports: [Database],
      global: true,
    };
  }
}
