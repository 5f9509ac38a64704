import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { GrpcStatus } from './grpc-status.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';

/**
 * The one table that maps gRPC status ↔ HTTP status (after grpc-gateway, with 499 for
 * CANCELLED). Every edge in the project translates through it.
 */
const GRPC_TO_HTTP: Readonly<Record<GrpcStatus, number>> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
  [GrpcStatus.UNAUTHENTICATED]: 401,
};

/** The reverse direction, for HTTP answers that must travel as gRPC status. */
const HTTP_TO_GRPC: ReadonlyMap<number, GrpcStatus> = new Map([
  [400, GrpcStatus.INVALID_ARGUMENT],
  [401, GrpcStatus.UNAUTHENTICATED],
  [403, GrpcStatus.PERMISSION_DENIED],
  [404, GrpcStatus.NOT_FOUND],
  [409, GrpcStatus.ABORTED],
  [429, GrpcStatus.RESOURCE_EXHAUSTED],
  [499, GrpcStatus.CANCELLED],
  [501, GrpcStatus.UNIMPLEMENTED],
  [503, GrpcStatus.UNAVAILABLE],
  [504, GrpcStatus.DEADLINE_EXCEEDED],
]);

export function httpStatusFromGrpc(code: GrpcStatus): number {
  return GRPC_TO_HTTP[code] ?? 500;
}

export function grpcStatusFromHttp(httpStatus: number): GrpcStatus {
  return (
    HTTP_TO_GRPC.get(httpStatus) ??
    (httpStatus >= 500 ? GrpcStatus.UNAVAILABLE : GrpcStatus.UNKNOWN)
  );
}

/** A failure reduced to what crosses a wire: status, stable code, message. */
export interface StatusOutcome {
  readonly status: GrpcStatus;
  /** snake_case, e.g. `deadline_exceeded`, `out_of_stock`. */
  readonly code: string;
  readonly message: string;
}

/**
 * Classifies any thrown value. Known errors keep their meaning; errors that already carry a
 * numeric gRPC `code` (a downstream's answer) keep it; anything else is INTERNAL, with a generic
 * message so internals never leak to clients.
 */
export function statusOf(error: unknown): StatusOutcome {
  if (DeadlineExceededError.is(error))
    return {
      status: GrpcStatus.DEADLINE_EXCEEDED,
      code: 'deadline_exceeded',
      message: error.message,
    };
  if (CancelledError.is(error))
    return {
      status: GrpcStatus.CANCELLED,
      code: 'cancelled',
      message: error.message,
    };
  if (InvalidTimeoutError.is(error))
    return {
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'invalid_timeout',
      message: error.message,
    };
  if (DomainError.is(error))
    return { status: error.status, code: error.code, message: error.message };
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
    // A downstream's business answer keeps its own words; a fault keeps its chain
    // ("order.PlaceOrder failed: DEADLINE_EXCEEDED: … payment.Charge failed: …") so it can be traced.
    const httpStatus = GRPC_TO_HTTP[status];
    const fault =
      (error as { tag?: unknown }).tag === 'DownstreamError' &&
      (httpStatus >= 499 || typeof withCode.reason !== 'string');
    const message =
      !fault && typeof withCode.details === 'string' && withCode.details
        ? withCode.details
        : typeof withCode.message === 'string'
          ? withCode.message
          : '';
    const code =
      typeof withCode.reason === 'string'
        ? withCode.reason
        : GrpcStatus[status].toLowerCase();
    return { status, code, message };
  }
  return {
    status: GrpcStatus.INTERNAL,
    code: 'internal',
    message: 'internal error',
  };
}
