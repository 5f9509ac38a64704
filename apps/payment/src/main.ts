import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
startTelemetry({ service: 'payment' });
import { PAYMENT } from '@lib/contracts';
import { grpcTls, parseEnv, startGrpcTier } from '@lib/platform';
import { PAYMENT_ENV } from './payment.env.js';
import { PaymentModule } from './payment.module.js';

const env = parseEnv(PAYMENT_ENV);
void startGrpcTier(PaymentModule, {
  name: 'payment',
  contract: PAYMENT,
  grpcUrl: `${env.BIND_HOST}:${env.PAYMENT_GRPC_PORT}`,
  adminPort: env.PAYMENT_ADMIN_PORT,
  adminHost: env.ADMIN_HOST,
  logFormat: env.LOG_FORMAT,
  logFlushMs: env.LOG_FLUSH_MS,
  drainMs: env.SHUTDOWN_DRAIN_MS,
  maxConnectionAgeMs: env.GRPC_MAX_CONNECTION_AGE_MS,
  tls: grpcTls(env),
});
