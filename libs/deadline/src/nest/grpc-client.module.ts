import {
  type DynamicModule,
  Inject,
  Module,
  type ModuleMetadata,
} from '@nestjs/common';
import type { Options as LoaderOptions } from '@grpc/proto-loader';
import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import { ClientGrpcProxy } from '@nestjs/microservices';
import type { ClientMiddleware } from '../grpc/client-middleware.js';
import { createDeadlineClient } from '../grpc/deadline-client.js';
import {
  createStreamClient,
  type StreamLimit,
  type StreamStartGuard,
} from '../grpc/stream-client.js';
import type { StreamRecord } from '../core/stream-record.js';

const STREAMS = Symbol('streams');

export interface GrpcClientOptions {
  /** Downstream name: the injection key, and the name in records, logs and breakers (`inventory`). */
  readonly name: string;
  /** `host:port`. */
  readonly url: string;
  readonly protoPath: string | string[];
  /** Proto package (`inventory.v1`). */
  readonly package: string;
  /** Service within the package (`InventoryService`). */
  readonly service: string;
  readonly loader?: LoaderOptions;
  /** Time kept back for the reply to travel home. @default 10 */
  readonly reserveMs?: number;
  /** Local ceiling for any call to this downstream. @default Infinity */
  readonly capMs?: number;
  /** Client middleware (breakers, retries, tracing), outermost first. */
  readonly middleware?: readonly ClientMiddleware[];
  /** Naive comparison mode: a fixed timeout per call, no propagation (see `DeadlineClientOptions`). */
  readonly fixedTimeoutMs?: number;
  /** grpc-js channel options (e.g. `grpc.service_config` for round-robin over several addresses). */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
  /** Idle limit of this downstream's streams, between two messages. @default Infinity (none) */
  readonly streamIdleMs?: number;
  /** Told when one of this downstream's streams ends (metrics, logs). */
  readonly onStreamEnd?: (record: StreamRecord) => void;
  /** Guards the start of server streams (a breaker, retries before the first message). @default none */
  readonly streamGuard?: StreamStartGuard;
  /** Bounds the streams open to this downstream at once. @default none */
  readonly streamLimit?: StreamLimit;
  /** The channel's credentials, e.g. `credentials.createSsl(ca, key, cert)` for mutual TLS. @default plain text (`credentials.createInsecure()`) */
  readonly credentials?: ChannelCredentials;
}

export interface GrpcClientAsyncOptions extends Pick<
  ModuleMetadata,
  'imports'
> {
  readonly name: string;
  readonly useFactory: (
    ...args: never[]
  ) =>
    Omit<GrpcClientOptions, 'name'> | Promise<Omit<GrpcClientOptions, 'name'>>;
  readonly inject?: unknown[];
}

/** Injection token of the deadline-aware client for downstream `name`. */
export const grpcClientToken = (name: string): string =>
  `DEADLINE_GRPC_CLIENT:${name}`;

/** Injection token of the stream client (the service's streaming methods) for downstream `name`. */
export const grpcStreamsToken = (name: string): string =>
  `DEADLINE_GRPC_STREAMS:${name}`;

/** Injects the stream client registered under `name` (see `createStreamClient`). */
export const InjectGrpcStreams = (name: string): ParameterDecorator =>
  Inject(grpcStreamsToken(name));

/** Injects the deadline-aware client registered under `name`. */
export const InjectGrpcClient = (name: string): ParameterDecorator =>
  Inject(grpcClientToken(name));

/**
 * Registers a deadline-aware gRPC client: Nest's gRPC client machinery (proto loading, channel
 * options) underneath, our wrapper on top, so every call carries the current deadline and is
 * cancelled on the wire when it aborts.
 */
@Module({})
export class DeadlineGrpcClientModule {
  static register(options: GrpcClientOptions): DynamicModule {
    return DeadlineGrpcClientModule.registerAsync({
      name: options.name,
      useFactory: () => options,
    });
  }

  static registerAsync(options: GrpcClientAsyncOptions): DynamicModule {
    const token = grpcClientToken(options.name);
    return {
      module: DeadlineGrpcClientModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: token,
          inject: (options.inject ?? []) as never[],
          useFactory: async (...args: never[]) => {
            const resolved = {
              ...(await options.useFactory(...args)),
              name: options.name,
            };
            const proxy = new ClientGrpcProxy({
              url: resolved.url,
              package: resolved.package,
              protoPath: resolved.protoPath,
              loader: resolved.loader,
              channelOptions: resolved.channelOptions,
              credentials: resolved.credentials,
            });
            const raw = proxy.getClientByServiceName<Client>(resolved.service);
            const client = createDeadlineClient(raw, {
              service: resolved.name,
              reserveMs: resolved.reserveMs,
              capMs: resolved.capMs,
              middleware: resolved.middleware,
              fixedTimeoutMs: resolved.fixedTimeoutMs,
            });
            Object.defineProperty(client, STREAMS, {
              value: createStreamClient(raw, {
                service: resolved.name,
                reserveMs: resolved.reserveMs,
                capMs: resolved.capMs,
                idleMs: resolved.streamIdleMs,
                onStreamEnd: resolved.onStreamEnd,
                startGuard: resolved.streamGuard,
                limit: resolved.streamLimit,
              }),
              enumerable: false,
            });
            // Closed with the app, like Nest's ClientsModule does.
            Object.defineProperty(client, 'onApplicationShutdown', {
              value: () => proxy.close(),
              enumerable: false,
            });
            return client;
          },
        },
        {
          // The same channel's streaming methods.
          provide: grpcStreamsToken(options.name),
          inject: [token],
          useFactory: (client: Record<symbol, unknown>) => client[STREAMS],
        },
      ],
      exports: [token, grpcStreamsToken(options.name)],
    };
  }
}
