import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { DownstreamError, GrpcStatus } from '@lib/deadline';
import { type BreakerAttempt } from '../core/deadline-breaker';

const CHECK = '/grpc.health.v1.Health/Check';
/** `HealthCheckResponse.status = SERVING`, as protobuf bytes (field 1, varint 1). */
const SERVING = Buffer.from([0x08, 0x01]);

export interface HealthProbe {
  readonly probe: (attempt: BreakerAttempt) => Promise<void>;
  readonly close: () => void;
}

/**
 * An active breaker probe: the standard `grpc.health.v1.Health/Check` against `address`, under
 * the probe's deadline. Any status but SERVING is a failure. Hand-encoded (two tiny messages) so
 * it needs no proto file.
 */
export function grpcHealthProbe(name: string, address: string, service = ''): HealthProbe {
  const client = new Client(address, credentials.createInsecure());
  const request = service ? Buffer.concat([Buffer.from([0x0a, Buffer.byteLength(service)]), Buffer.from(service)]) : Buffer.alloc(0);
  const probe = ({ signal, budgetMs }: BreakerAttempt): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest<Buffer, Buffer>(CHECK, (b) => b, (b) => b, request, { deadline: Date.now() + budgetMs }, (error: ServiceError | null, response?: Buffer) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else if (error) reject(new DownstreamError(error.code as number as GrpcStatus, undefined, 'health check failed', name, 'Check'));
        else if (!response?.equals(SERVING)) reject(new DownstreamError(GrpcStatus.UNAVAILABLE, undefined, 'not serving', name, 'Check'));
        else resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return { probe, close: () => client.close() };
}
