import { GrpcStatus } from '../core/grpc-status.js';

/** Trailer that carries a {@link DomainError}'s machine-readable code across a hop. */
export const ERROR_CODE_METADATA_KEY = 'x-error-code';
/** Trailer that carries a fail-fast answer's `retryAfterMs` (e.g. an open breaker's) across a hop. */
export const RETRY_AFTER_METADATA_KEY = 'x-retry-after-ms';

/** A downstream answered with a non-OK gRPC status. Keeps its status, so the edge maps it faithfully. */
export class DownstreamError extends Error {
  readonly tag = 'DownstreamError' as const;
  override readonly name = 'DownstreamError';

  constructor(
    /** The gRPC status the downstream (or the channel) reported. */
    readonly code: GrpcStatus,
    /** The downstream's machine-readable error code, when it sent one. */
    readonly reason: string | undefined,
    readonly details: string,
    readonly service: string,
    readonly method: string,
    /** When the downstream failed fast on purpose: milliseconds until it is worth asking again. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `${service}.${method} failed: ${GrpcStatus[code] ?? code}${details ? `: ${details}` : ''}`,
    );
  }

  static is(error: unknown): error is DownstreamError {
    return (
      error instanceof DownstreamError ||
      (error as { tag?: unknown } | null)?.tag === 'DownstreamError'
    );
  }
}
