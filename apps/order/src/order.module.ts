import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { INVENTORY, PAYMENT } from '@lib/contracts';
import { Database, DatabaseModule } from '@lib/database';
import { downstream, HealthDetails, TierModule } from '@lib/platform';
import { OrderChanges } from './order-changes.js';
import { OrderController } from './order.controller.js';
import { ORDER_ENV, type OrderEnv } from './order.env.js';
import { ORDER_MIGRATIONS } from './order.migrations.js';
import { OrderRecoverySweeper } from './order-recovery.sweeper.js';
import { OrderRepository, SqlOrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';

@Module({
  imports: [
    TierModule.forRoot({
      service: 'order',
      inbound: 'grpc',
      env: ORDER_ENV,
      port: (env) => env.ORDER_GRPC_PORT,
    }),
    DatabaseModule.forRootAsync({
      inject: [ConfigService, HealthDetails],
      useFactory: (
        config: ConfigService<OrderEnv, true>,
        health: HealthDetails,
      ) => ({
        url: config.get('DATABASE_URL', { infer: true }),
        name: 'order',
        schema: 'orders',
        migrations: ORDER_MIGRATIONS,
        maxConnections: config.get('DATABASE_POOL_SIZE', { infer: true }),
        report: (name, source) => health.register(name, source),
      }),
    }),
    // Idempotent (keyed by order id), so a breaker-guarded retry may repeat them within the budget.
    // Reserve too: a repeat, even one overlapping the first, gets the order's one reservation back
    // and takes nothing more (test/saga.e2e-spec.ts); with several replicas a retry goes to another.
    downstream('inventory', INVENTORY, 'INVENTORY_GRPC_URL', {
      idempotentMethods: ['Reserve', 'Release', 'Commit', 'GetStock'],
    }),
    downstream('payment', PAYMENT, 'PAYMENT_GRPC_URL', {
      idempotentMethods: ['Charge', 'GetCharge'],
    }),
  ],
  controllers: [OrderController],
  providers: [
    OrderService,
    OrderChanges,
    OrderRecoverySweeper,
    {
      provide: OrderRepository,
      inject: [Database, OrderChanges, ConfigService],
      useFactory: (
        db: Database,
        changes: OrderChanges,
        config: ConfigService<OrderEnv, true>,
      ) =>
        new SqlOrderRepository(
          db,
          changes,
          config.get('ORDER_SETTLE_BATCH_MS', { infer: true }),
        ),
    },
  ],
})
export class OrderModule {}
