import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
startTelemetry({ service: 'inventory' });
import { INVENTORY } from '@lib/contracts';
import { grpcTls, parseEnv, startGrpcTier } from '@lib/platform';
import { INVENTORY_ENV } from './inventory.env.js';
import { InventoryModule } from './inventory.module.js';

const env = parseEnv(INVENTORY_ENV);
void startGrpcTier(InventoryModule, {
  name: 'inventory',
  contract: INVENTORY,
  grpcUrl: `${env.BIND_HOST}:${env.INVENTORY_GRPC_PORT}`,
  adminPort: env.INVENTORY_ADMIN_PORT,
  adminHost: env.ADMIN_HOST,
  logFormat: env.LOG_FORMAT,
  logFlushMs: env.LOG_FLUSH_MS,
  drainMs: env.SHUTDOWN_DRAIN_MS,
  maxConnectionAgeMs: env.GRPC_MAX_CONNECTION_AGE_MS,
  tls: grpcTls(env),
});
