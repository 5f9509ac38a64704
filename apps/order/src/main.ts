import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
startTelemetry({ service: 'order' });
import { ORDER } from '@lib/contracts';
import { grpcTls, parseEnv, startGrpcTier } from '@lib/platform';
import { ORDER_ENV } from './order.env.js';
import { OrderModule } from './order.module.js';

const env = parseEnv(ORDER_ENV);
void startGrpcTier(OrderModule, {
  name: 'order',
  contract: ORDER,
  grpcUrl: `${env.BIND_HOST}:${env.ORDER_GRPC_PORT}`,
  adminPort: env.ORDER_ADMIN_PORT,
  adminHost: env.ADMIN_HOST,
  logFormat: env.LOG_FORMAT,
  logFlushMs: env.LOG_FLUSH_MS,
  drainMs: env.SHUTDOWN_DRAIN_MS,
  maxConnectionAgeMs: env.GRPC_MAX_CONNECTION_AGE_MS,
  tls: grpcTls(env),
});
