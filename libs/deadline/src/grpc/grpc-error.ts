import { Metadata } from '@grpc/grpc-js';
import {
  encodeHops,
  type HopRecord,
  HOPS_METADATA_KEY,
} from '../core/hop-record.js';
import { type GrpcStatus } from '../core/grpc-status.js';
import { statusOf } from '../core/status-map.js';
import {
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './downstream.error.js';

/** What grpc-js sends when a handler fails: `code`, `details`, and trailers. */
export interface GrpcErrorObject {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly message: string;
  readonly metadata: Metadata;
}

export function isGrpcErrorObject(value: unknown): value is GrpcErrorObject {
  const v = value as Partial<GrpcErrorObject> | null;
  return (
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
  const outcome = statusOf(error);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, outcome.code);
  const retryAfterMs = (error as { retryAfterMs?: unknown } | null)
    ?.retryAfterMs;
  if (typeof retryAfterMs === 'number' && retryAfterMs >= 0)
    metadata.set(RETRY_AFTER_METADATA_KEY, String(Math.ceil(retryAfterMs)));
  if (hops?.length) metadata.set(HOPS_METADATA_KEY, encodeHops(hops));
  return {
    code: outcome.status,
    details: outcome.message,
    message: outcome.message,
    metadata,
  };
}

/** Response headers carrying this tier's hop records on success. */
export function hopsMetadata(hops: readonly HopRecord[]): Metadata {
  const metadata = new Metadata();
  metadata.set(HOPS_METADATA_KEY, encodeHops(hops));
  return metadata;
}
