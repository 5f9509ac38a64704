import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { DownstreamError, GrpcStatus } from '@lib/deadline';
import { type BreakerAttempt } from '../core/deadline-breaker.js';

const CHECK = '/grpc.health.v1.Health/Check';
/** `HealthCheckResponse.status = SERVING`, as protobuf bytes (field 1, varint 1). */
const SERVING = Buffer.from([0x08, 0x01]);

export interface GrpcHealthProbeOptions {
  /** The service whose health is asked. @default '' (the server as a whole) */
  readonly service?: string;
  /** The probe channel's credentials: the same as the downstream's own channel (mutual TLS, say). @default plain text */
  readonly credentials?: ChannelCredentials;
  /** grpc-js channel options, e.g. `grpc.ssl_target_name_override`. @default none */
  readonly channelOptions?: ChannelOptions;
}

/**
 * An active breaker probe: the standard `grpc.health.v1.Health/Check` against `address`, under
 * the probe's deadline; any answer but SERVING is a failure. Probes are rare (one per open
 * period), so each opens its own channel and closes it: nothing lingers between them. The two
 * tiny messages are hand-encoded, so no proto file is needed.
 */
export function grpcHealthProbe(
  name: string,
  address: string,
  options: GrpcHealthProbeOptions = {},
): (attempt: BreakerAttempt) => Promise<void> {
  const { service = '' } = options;
  const request = service
    ? Buffer.concat([
        Buffer.from([0x0a, Buffer.byteLength(service)]),
        Buffer.from(service),
      ])
    : Buffer.alloc(0);
  return ({ signal, budgetMs }) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const client = new Client(
        address,
        options.credentials ?? credentials.createInsecure(),
        options.channelOptions,
      );
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest<Buffer, Buffer>(
        CHECK,
        (b) => b,
        (b) => b,
        request,
        { deadline: Date.now() + budgetMs },
        (error: ServiceError | null, response?: Buffer) => {
          signal.removeEventListener('abort', onAbort);
          client.close();
          if (signal.aborted) reject(signal.reason);
          else if (error)
            reject(
              new DownstreamError(
                error.code as number,
                undefined,
                'health check failed',
                name,
                'Check',
              ),
            );
          else if (!response?.equals(SERVING))
            reject(
              new DownstreamError(
                GrpcStatus.UNAVAILABLE,
                undefined,
                'not serving',
                name,
                'Check',
              ),
            );
          else resolve();
        },
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
