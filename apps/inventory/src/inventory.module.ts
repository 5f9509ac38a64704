import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Database, DatabaseModule } from '@lib/database';
import { Deadline, runWithDeadline } from '@lib/deadline';
import { HealthDetails, TierModule } from '@lib/platform';
import { InventoryController } from './inventory.controller.js';
import { INVENTORY_ENV, type InventoryEnv } from './inventory.env.js';
import { INVENTORY_MIGRATIONS } from './inventory.migrations.js';
import {
  InventoryRepository,
  SEED_CATALOG,
  SqlInventoryRepository,
} from './inventory.repository.js';
import { InventoryService } from './inventory.service.js';
import { ReservationSweeper } from './reservation.sweeper.js';

@Module({
  imports: [
    TierModule.forRoot({
      service: 'inventory',
      inbound: 'grpc',
      env: INVENTORY_ENV,
      port: (env) => env.INVENTORY_GRPC_PORT,
    }),
    DatabaseModule.forRootAsync({
      inject: [ConfigService, HealthDetails],
      useFactory: (
        config: ConfigService<InventoryEnv, true>,
        health: HealthDetails,
      ) => ({
        url: config.get('DATABASE_URL', { infer: true }),
        name: 'inventory',
        schema: 'inventory',
        migrations: INVENTORY_MIGRATIONS,
        maxConnections: config.get('DATABASE_POOL_SIZE', { infer: true }),
        report: (name, source) => health.register(name, source),
      }),
    }),
  ],
  controllers: [InventoryController],
  providers: [
    InventoryService,
    ReservationSweeper,
    {
      provide: InventoryRepository,
      inject: [Database, ConfigService],
      useFactory: async (
        db: Database,
        config: ConfigService<InventoryEnv, true>,
      ) => {
        const repository = new SqlInventoryRepository(
          db,
          config.get('INVENTORY_COMMIT_BATCH_MS', { infer: true }),
        );
        // Start-up has no request to inherit a deadline from: give the seeding its own.
        const deadline = Deadline.after(30_000);
        await runWithDeadline(
          deadline,
          () =>
            repository.seed(
              SEED_CATALOG,
              config.get('INVENTORY_SEED_STOCK', { infer: true }),
            ),
          { service: 'inventory', method: 'seed' },
        ).finally(() => deadline.dispose());
        return repository;
      },
    },
  ],
})
export class InventoryModule {}
