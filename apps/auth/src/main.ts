import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
startTelemetry({ service: 'auth' });
import { AUTH } from '@lib/contracts';
import { grpcTls, parseEnv, startGrpcTier } from '@lib/platform';
import { AUTH_ENV } from './auth.env.js';
import { AuthModule } from './auth.module.js';

const env = parseEnv(AUTH_ENV);
void startGrpcTier(AuthModule, {
  name: 'auth',
  contract: AUTH,
  grpcUrl: `${env.BIND_HOST}:${env.AUTH_GRPC_PORT}`,
  adminPort: env.AUTH_ADMIN_PORT,
  adminHost: env.ADMIN_HOST,
  logFormat: env.LOG_FORMAT,
  logFlushMs: env.LOG_FLUSH_MS,
  drainMs: env.SHUTDOWN_DRAIN_MS,
  maxConnectionAgeMs: env.GRPC_MAX_CONNECTION_AGE_MS,
  tls: grpcTls(env),
});
