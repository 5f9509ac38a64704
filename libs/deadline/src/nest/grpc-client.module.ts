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
            // Closed with the app, like Nest's ClientsModule does.
            Object.defineProperty(client, 'onApplicationShutdown', {
              value: () => proxy.close(),
              enumerable: false,
            });
            return client;
          },
        },
      ],
      exports: [token],
    };
  }
}
