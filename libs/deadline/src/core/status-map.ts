import { GrpcStatus } from './grpc-status.js';

/** How one gRPC status reads at the HTTP edge. */
interface HttpMapping {
  /** The edge's answer when the failure is its own, or a business answer passed on. */
  readonly http: number;
  /**
   * When a tier behind the edge answered this status about itself (it failed, it does not know the
   * method): the edge is a gateway whose upstream failed, `502`, not a server with a bug of its own.
   */
  readonly fromDownstream?: number;
  /** Error codes HTTP has a status of its own for, where gRPC has none. */
  readonly byCode?: Readonly<Record<string, number>>;
}

/**
 * The one table that maps gRPC status ↔ HTTP status (after grpc-gateway, with 499 for
 * CANCELLED, 502 for a tier behind the edge that failed, 413/415 for a body the edge refuses).
 * Every edge in the project translates through it.
 */
const GRPC_TO_HTTP: Readonly<Record<GrpcStatus, HttpMapping>> = {
  [GrpcStatus.OK]: { http: 200 },
  [GrpcStatus.CANCELLED]: { http: 499 },
  [GrpcStatus.UNKNOWN]: { http: 500, fromDownstream: 502 },
  [GrpcStatus.INVALID_ARGUMENT]: {
    http: 400,
    byCode: { unsupported_media_type: 415 },
  },
  [GrpcStatus.DEADLINE_EXCEEDED]: { http: 504 },
  [GrpcStatus.NOT_FOUND]: { http: 404 },
  [GrpcStatus.ALREADY_EXISTS]: { http: 409 },
  [GrpcStatus.PERMISSION_DENIED]: { http: 403 },
  [GrpcStatus.RESOURCE_EXHAUSTED]: {
    http: 429,
    byCode: { payload_too_large: 413 },
  },
  [GrpcStatus.FAILED_PRECONDITION]: { http: 409 },
  [GrpcStatus.ABORTED]: { http: 409 },
  [GrpcStatus.OUT_OF_RANGE]: { http: 400 },
  [GrpcStatus.UNIMPLEMENTED]: { http: 501, fromDownstream: 502 },
  [GrpcStatus.INTERNAL]: { http: 500, fromDownstream: 502 },
  [GrpcStatus.UNAVAILABLE]: { http: 503 },
  [GrpcStatus.DATA_LOSS]: { http: 500, fromDownstream: 502 },
  [GrpcStatus.UNAUTHENTICATED]: { http: 401 },
};

/** The reverse direction, for HTTP answers that must travel as gRPC status. */
const HTTP_TO_GRPC: ReadonlyMap<number, GrpcStatus> = new Map([
  [400, GrpcStatus.INVALID_ARGUMENT],
  [401, GrpcStatus.UNAUTHENTICATED],
  [403, GrpcStatus.PERMISSION_DENIED],
  [404, GrpcStatus.NOT_FOUND],
  [409, GrpcStatus.ABORTED],
  [413, GrpcStatus.RESOURCE_EXHAUSTED],
  [415, GrpcStatus.INVALID_ARGUMENT],
  [429, GrpcStatus.RESOURCE_EXHAUSTED],
  [499, GrpcStatus.CANCELLED],
  [501, GrpcStatus.UNIMPLEMENTED],
  [503, GrpcStatus.UNAVAILABLE],
  [504, GrpcStatus.DEADLINE_EXCEEDED],
]);

/** The edge's own answer for a status (its own failure, or a business answer passed on). */
export function httpStatusFromGrpc(code: GrpcStatus): number {
  return GRPC_TO_HTTP[code]?.http ?? 500;
}

export function grpcStatusFromHttp(httpStatus: number): GrpcStatus {
  return (
    HTTP_TO_GRPC.get(httpStatus) ??
    (httpStatus >= 500 ? GrpcStatus.UNAVAILABLE : GrpcStatus.UNKNOWN)
  );
}

/** The edge's answer for a status and code, as a gateway when the failure is a downstream's. */
export function httpStatusOf(
  status: GrpcStatus,
  code: string | undefined,
  fromDownstream: boolean,
): number {
  const mapping = GRPC_TO_HTTP[status];
  const byCode =
    code !== undefined && mapping.byCode && Object.hasOwn(mapping.byCode, code)
      ? mapping.byCode[code]
      : undefined;
  return (
    byCode ??
    (fromDownstream ? mapping.fromDownstream : undefined) ??
    mapping.http
  );
}

/**
 * The code a status has when nothing more specific is known: the status's own name in lower
 * case (`unavailable`, `not_found`), or `bad_gateway` for a tier behind the edge that failed.
 */
export function genericCode(status: GrpcStatus, httpStatus: number): string {
  if (httpStatus === 502) return 'bad_gateway';
  return (GrpcStatus[status] ?? 'unknown').toLowerCase();
}

/** True for a numeric value the table knows as a gRPC status. */
export function isGrpcStatus(value: unknown): value is GrpcStatus {
  return typeof value === 'number' && value in GRPC_TO_HTTP;
}
