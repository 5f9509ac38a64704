import { GrpcStatus } from './grpc-status.js';

/** Response metadata as the core reads it: grpc-js's `Metadata` fits, and so does a `Map` of arrays. */
export interface ResponseMetadata {
  get(key: string): readonly unknown[];
}

/** A downstream answered with a non-OK gRPC status. Keeps its status, so the edge maps it faithfully. */
export class DownstreamError extends Error {
  readonly tag = 'DownstreamError' as const;
  override readonly name = 'DownstreamError';

  constructor(
    /** The gRPC status the downstream (or the channel) reported. */
    readonly code: GrpcStatus,
    /** The downstream's machine-readable error code, when it sent one: it answered itself. */
    readonly reason: string | undefined,
    readonly details: string,
    readonly service: string,
    readonly method: string,
    /** When the downstream failed fast on purpose: milliseconds until it is worth asking again. */
    readonly retryAfterMs?: number,
    /** The trailers it answered with (hop records ride there on failure). */
    readonly trailer?: ResponseMetadata,
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
