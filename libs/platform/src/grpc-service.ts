import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadSync } from '@grpc/proto-loader';
import { registerStreamMethods } from '@lib/deadline';
import type { CustomStrategy, GrpcOptions } from '@nestjs/microservices';
import {
  HEALTH,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';
import { DrainingGrpcServer } from './draining-grpc-server.js';
import { type GrpcTls, grpcServerCredentials } from './grpc-tls.js';
import { TierLogger } from './tier.logger.js';

export interface GrpcTierOptions {
  /** Service name for logs. */
  readonly name: string;
  /** The contract it serves; the standard health service is always added. */
  readonly contract: ServiceContract;
  /** `host:port` the gRPC server binds. */
  readonly grpcUrl: string;
  /** HTTP admin server (`GET /health`, and what libraries add): port and host. */
  readonly adminPort: number;
  readonly adminHost: string;
  readonly logFormat: 'json' | 'pretty';
  /** How long a log line may wait to share a write with others (`LOG_FLUSH_MS`); 0 writes each at once. @default 0 */
  readonly logFlushMs?: number;
  /** On shutdown, how long calls in flight may finish before they are cancelled (`SHUTDOWN_DRAIN_MS`). */
  readonly drainMs: number;
  /** Mutual TLS: the server requires a client certificate signed by `tls.ca`. @default plain text */
  readonly tls?: GrpcTls;
  /**
   * Age (± 10 %, grpc-js's jitter) at which the server asks a client to move to a new connection
   * (GOAWAY; calls in flight finish on the old one), so clients re-resolve a headless Service and
   * spread over replicas added since (`GRPC_MAX_CONNECTION_AGE_MS`). 0 = never. @default 0
   */
  readonly maxConnectionAgeMs?: number;
}

/**
 * Starts one gRPC tier as a Nest hybrid app: the gRPC server (its contract plus `grpc.health.v1`)
 * and a small HTTP admin server, sharing one module, one set of interceptors, JSON logs and
 * a bounded drain on shutdown.
 */
export async function startGrpcTier(
  module: Type<unknown>,
  options: GrpcTierOptions,
): Promise<INestApplication> {
  const logger = new TierLogger({
    service: options.name,
    format: options.logFormat,
    flushMs: options.logFlushMs,
  });
  // Which methods stream: the deadline interceptor serves those as streams (whole-call deadline, drain).
  for (const proto of [options.contract.proto, HEALTH.proto])
    registerStreamMethods(loadSync(protoPath(proto), PROTO_LOADER_OPTIONS));
  const app = await NestFactory.create(module, { logger, abortOnError: false });
  const grpcOptions: GrpcOptions['options'] = {
    url: options.grpcUrl,
    package: [options.contract.package, HEALTH.package],
    protoPath: [protoPath(options.contract.proto), protoPath(HEALTH.proto)],
    loader: PROTO_LOADER_OPTIONS,
    credentials: grpcServerCredentials(options.tls),
    ...(options.maxConnectionAgeMs
      ? {
          channelOptions: {
            'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
          },
        }
      : {}),
  };
  app.connectMicroservice<CustomStrategy>(
    { strategy: new DrainingGrpcServer(grpcOptions, options.drainMs, logger) },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(options.adminPort, options.adminHost);
  logger.log({
    msg: 'listening',
    url: options.grpcUrl,
    protocol: 'grpc',
    mtls: options.tls !== undefined,
    admin: `http://${options.adminHost}:${options.adminPort}`,
  });
  // Whoever starts the tier waits for that line: it goes out now, not with the next batch.
  void logger.flush();
  return app;
}
