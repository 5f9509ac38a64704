import type { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { HEALTH, PROTO_LOADER_OPTIONS, protoPath, type ServiceContract } from '@lib/contracts';
import { JsonLogger } from './json-logger';

export interface GrpcServiceOptions {
  /** Service name for logs. */
  readonly name: string;
  /** The contract it serves; the standard health service is always added. */
  readonly contract: ServiceContract;
  /** `host:port` to bind. */
  readonly url: string;
  /** @default process.env.LOG_FORMAT or 'json' */
  readonly logFormat?: 'json' | 'pretty';
}

/** Starts one gRPC tier: its contract plus `grpc.health.v1`, JSON logs, graceful shutdown. */
export async function startGrpcService(module: Type<unknown>, options: GrpcServiceOptions): Promise<INestMicroservice> {
  const logger = new JsonLogger(options.name, options.logFormat ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json'));
  const grpc: GrpcOptions = {
    transport: Transport.GRPC,
    options: {
      url: options.url,
      package: [options.contract.package, HEALTH.package],
      protoPath: [protoPath(options.contract.proto), protoPath(HEALTH.proto)],
      loader: PROTO_LOADER_OPTIONS,
    },
  };
  const app = await NestFactory.createMicroservice(module, { ...grpc, logger, abortOnError: false });
  app.enableShutdownHooks();
  await app.listen();
  logger.log({ msg: 'listening', url: options.url, protocol: 'grpc' });
  return app;
}
