import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  AUTH,
  HEALTH,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';
import { rawClient, unary } from './grpc-clients.js';

function serviceOf(contract: ServiceContract): grpc.ServiceDefinition {
  const root = grpc.loadPackageDefinition(
    loadSync(protoPath(contract.proto), PROTO_LOADER_OPTIONS),
  ) as Record<string, unknown>;
  const ctor = contract.package
    .split('.')
    .reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      root,
    ) as Record<string, grpc.ServiceClientConstructor>;
  return ctor[contract.service].service;
}

/**
 * Stands between the gateway and the auth tier and records the metadata of every VerifyToken call,
 * to see exactly what the gateway sends on the wire. Each call is passed to the real auth tier (same
 * request, same deadline) and its answer, errors included, passed back. It answers the standard health
 * check itself, so the gateway is ready before the auth tier's address is known.
 */
export class AuthRelay {
  /** Metadata of each VerifyToken call, in order. */
  readonly calls: grpc.Metadata[] = [];
  private target: grpc.Client | undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<AuthRelay> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    const relay = new AuthRelay(server, `127.0.0.1:${port}`);
    server.addService(serviceOf(AUTH), {
      verifyToken: (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => relay.verifyToken(call, callback),
    });
    server.addService(serviceOf(HEALTH), {
      check: (
        _call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => callback(null, { status: 'SERVING' }),
    });
    return relay;
  }

  /** Where calls go from now on: the real auth tier. */
  forwardTo(url: string): void {
    this.target = rawClient(AUTH, url);
  }

  stop(): Promise<void> {
    this.target?.close();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private verifyToken(
    call: grpc.ServerUnaryCall<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): void {
    this.calls.push(call.metadata.clone());
    if (!this.target) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'no auth tier yet' });
      return;
    }
    unary(this.target, 'verifyToken', call.request, {
      deadline: call.getDeadline(),
    }).then(
      (reply) => callback(null, reply),
      (error: grpc.ServiceError) => callback(error),
    );
  }
}
