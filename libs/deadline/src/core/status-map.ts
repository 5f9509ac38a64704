import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { GrpcStatus } from './grpc-status.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

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

/** A failure reduced to what crosses a wire: status, stable code, message, and what the HTTP edge answers. */
export interface StatusOutcome {
  readonly status: GrpcStatus;
  /** snake_case, e.g. `deadline_exceeded`, `out_of_stock`. */
  readonly code: string;
  readonly message: string;
  /** The HTTP status the edge answers, from the same table. */
  readonly httpStatus: number;
  /** The header, parameter or body field at fault, for input errors. */
  readonly field?: string;
}

/**
 * The code a status has when nothing more specific is known: the status's own name in lower
 * case (`unavailable`, `not_found`), or `bad_gateway` for a tier behind the edge that failed.
 */
export function genericCode(status: GrpcStatus, httpStatus: number): string {
  if (httpStatus === 502) return 'bad_gateway';
  return (GrpcStatus[status] ?? 'unknown').toLowerCase();
}

/** A downstream's `x-error-code` is wire input: a short snake_case word, or nothing. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
/** Codes that only name a status (`internal`, `unavailable`, `bad_gateway`): recomputed here, not passed on. */
const GENERIC_CODES: ReadonlySet<string> = new Set([
  'bad_gateway',
  ...Object.values(GrpcStatus)
    .filter((name): name is string => typeof name === 'string')
    .map((name) => name.toLowerCase()),
]);

/**
 * Classifies any thrown value. Known errors keep their meaning; errors that already carry a
 * numeric gRPC `code` (a downstream's answer) keep it; anything else is INTERNAL, with a generic
 * message so internals never leak to clients.
 */
export function statusOf(error: unknown): StatusOutcome {
  if (DeadlineExceededError.is(error))
    return outcome(
      GrpcStatus.DEADLINE_EXCEEDED,
      'deadline_exceeded',
      error.message,
    );
  if (CancelledError.is(error))
    return outcome(GrpcStatus.CANCELLED, 'cancelled', error.message);
  if (InvalidTimeoutError.is(error))
    return outcome(
      GrpcStatus.INVALID_ARGUMENT,
      'invalid_timeout',
      error.message,
      error.source,
    );
  if (InvalidBodyError.is(error))
    return outcome(
      GrpcStatus.INVALID_ARGUMENT,
      'invalid_body',
      error.message,
      error.field,
    );
  if (PayloadTooLargeError.is(error))
    return outcome(
      GrpcStatus.RESOURCE_EXHAUSTED,
      'payload_too_large',
      error.message,
      'body',
    );
  if (UnsupportedMediaTypeError.is(error))
    return outcome(
      GrpcStatus.INVALID_ARGUMENT,
      'unsupported_media_type',
      error.message,
      error.field,
    );
  if (DomainError.is(error))
    return outcome(error.status, error.code, error.message, error.field);
  const withCode = error as {
    code?: unknown;
    details?: unknown;
    message?: unknown;
    reason?: unknown;
  } | null;
  if (
    withCode &&
    typeof withCode.code === 'number' &&
    withCode.code in GRPC_TO_HTTP
  ) {
    const status = withCode.code as GrpcStatus;
    const fromDownstream =
      (error as { tag?: unknown }).tag === 'DownstreamError';
    const reason =
      typeof withCode.reason === 'string' &&
      CODE.test(withCode.reason) &&
      !GENERIC_CODES.has(withCode.reason)
        ? withCode.reason
        : undefined;
    const httpStatus = httpStatusOf(status, reason, fromDownstream);
    // A downstream's business answer keeps its own words; a fault keeps its chain
    // ("order.PlaceOrder failed: DEADLINE_EXCEEDED: … payment.Charge failed: …") so it can be traced.
    const fault =
      fromDownstream &&
      (httpStatus >= 499 || typeof withCode.reason !== 'string');
    const message =
      !fault && typeof withCode.details === 'string' && withCode.details
        ? withCode.details
        : typeof withCode.message === 'string'
          ? withCode.message
          : '';
    return {
      status,
      code: reason ?? genericCode(status, httpStatus),
      message,
      httpStatus,
    };
  }
  return outcome(GrpcStatus.INTERNAL, 'internal', 'internal error');
}

function outcome(
  status: GrpcStatus,
  code: string,
  message: string,
  field?: string,
): StatusOutcome {
  return {
    status,
    code,
    message,
    httpStatus: httpStatusOf(status, code, false),
    ...(field ? { field } : {}),
  };
}

function httpStatusOf(
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
