import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Database, DatabaseModule } from '@lib/database';
import { HealthDetails, TierModule } from '@lib/platform';
import { PaymentController } from './payment.controller.js';
import { PAYMENT_ENV, type PaymentEnv } from './payment.env.js';
import { PAYMENT_MIGRATIONS } from './payment.migrations.js';
import {
  PaymentRepository,
  SqlPaymentRepository,
} from './payment.repository.js';
import { PaymentService } from './payment.service.js';

@Module({
  imports: [
    TierModule.forRoot({
      service: 'payment',
      inbound: 'grpc',
      env: PAYMENT_ENV,
      port: (env) => env.PAYMENT_GRPC_PORT,
    }),
    DatabaseModule.forRootAsync({
      inject: [ConfigService, HealthDetails],
      useFactory: (
        config: ConfigService<PaymentEnv, true>,
        health: HealthDetails,
      ) => ({
        url: config.get('DATABASE_URL', { infer: true }),
        name: 'payment',
        schema: 'payment',
        migrations: PAYMENT_MIGRATIONS,
        maxConnections: config.get('DATABASE_POOL_SIZE', { infer: true }),
        report: (name, source) => health.register(name, source),
      }),
    }),
  ],
  controllers: [PaymentController],
  providers: [
    PaymentService,
    {
      provide: PaymentRepository,
      inject: [Database],
      useFactory: (db: Database) => new SqlPaymentRepository(db),
    },
  ],
})
export class PaymentModule {}
