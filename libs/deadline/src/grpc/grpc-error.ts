import { Metadata } from '@grpc/grpc-js';
import {
  encodeHops,
  type HopRecord,
  HOPS_METADATA_KEY,
} from '../core/hop-record.js';
import { type GrpcStatus } from '../core/grpc-status.js';
import { failureOf } from '../core/failure.js';
import {
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './metadata-keys.js';

/** What grpc-js sends when a handler fails: `code`, `details`, and trailers. */
export interface GrpcErrorObject extends Error {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly metadata: Metadata;
}

/** A handler's failure as grpc-js answers it; an Error, so it can be thrown and rejected with. */
class GrpcAnswerError extends Error implements GrpcErrorObject {
  override readonly name = 'GrpcAnswerError';

  constructor(
    readonly code: GrpcStatus,
    readonly details: string,
    readonly metadata: Metadata,
  ) {
    super(details);
  }
}

export function isGrpcErrorObject(value: unknown): value is GrpcErrorObject {
  const v = value as Partial<GrpcErrorObject> | null;
  return (
    value instanceof Error &&
    typeof v?.code === 'number' &&
    typeof v.details === 'string' &&
    v.metadata instanceof Metadata
  );
}

/** Turns any thrown value into the status a gRPC caller receives, with the error code and hop records as trailers. */
export function toGrpcError(
  error: unknown,
  hops?: readonly HopRecord[],
): GrpcErrorObject {
  if (isGrpcErrorObject(error)) return error;
  const outcome = failureOf(error);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, outcome.code);
  if (outcome.retryAfterMs !== undefined)
    metadata.set(
      RETRY_AFTER_METADATA_KEY,
      String(Math.ceil(outcome.retryAfterMs)),
    );
  if (hops?.length) metadata.set(HOPS_METADATA_KEY, encodeHops(hops));
  return new GrpcAnswerError(outcome.status, outcome.message, metadata);
}

/** Response headers carrying this tier's hop records on success. */
export function hopsMetadata(hops: readonly HopRecord[]): Metadata {
  const metadata = new Metadata();
  metadata.set(HOPS_METADATA_KEY, encodeHops(hops));
  return metadata;
}
