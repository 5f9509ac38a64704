import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { DownstreamError } from './downstream.error.js';
import { GrpcStatus } from './grpc-status.js';
import type { HopOutcome } from './hop-record.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import { SlowConsumerError } from './slow-consumer.error.js';
import { genericCode, httpStatusOf, isGrpcStatus } from './status-map.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

/**
 * Where a failure was decided: in this process (`local`: our deadline, a breaker, a handler's
 * business answer), by a downstream tier that answered about itself with its own error code
 * (`downstream`), or by the channel and transport with no word from the tier (`transport`:
 * unreachable, reset, no answer in time).
 */
export type FailureOrigin = 'local' | 'downstream' | 'transport';

/** What a failure is, decided once. The status map, hop records, breakers, tracing and error filters all read this. */
export interface Failure {
  readonly status: GrpcStatus;
  /** snake_case, e.g. `deadline_exceeded`, `out_of_stock`, `breaker_open`. */
  readonly code: string;
  readonly message: string;
  /** The HTTP status the edge answers, from the gRPC ↔ HTTP table. */
  readonly httpStatus: number;
  /** The header, parameter or body field at fault, for input errors. */
  readonly field?: string;
  /** A fail-fast answer's time until it is worth asking again (an open breaker's). */
  readonly retryAfterMs?: number;
  readonly origin: FailureOrigin;
  /** How the hop that met it ended, for its record. */
  readonly outcome: HopOutcome;
}

/** A code sent by a downstream (`x-error-code`) or set by a library is input: a short snake_case word, or nothing. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
/** Codes that only name a status (`internal`, `unavailable`, `bad_gateway`): recomputed here, not passed on. */
const GENERIC_CODES: ReadonlySet<string> = new Set([
  'bad_gateway',
  ...Object.values(GrpcStatus)
    .filter((name): name is string => typeof name === 'string')
    .map((name) => name.toLowerCase()),
]);

/**
 * Classifies any thrown value (after connect-es's `ConnectError.from`). Known errors keep their
 * meaning; errors that carry a numeric gRPC `code` (a downstream's answer, a breaker's refusal) keep
 * it, with their `reason` as the code; anything else is INTERNAL, with a generic message so internals
 * never leak to clients.
 */
export function failureOf(error: unknown): Failure {
  if (DeadlineExceededError.is(error))
    return local(
      GrpcStatus.DEADLINE_EXCEEDED,
      'deadline_exceeded',
      error.message,
    );
  if (CancelledError.is(error))
    return local(GrpcStatus.CANCELLED, 'cancelled', error.message);
  if (InvalidTimeoutError.is(error))
    return local(
      GrpcStatus.INVALID_ARGUMENT,
      'invalid_timeout',
      error.message,
      error.source,
    );
  if (InvalidBodyError.is(error))
    return local(
      GrpcStatus.INVALID_ARGUMENT,
      'invalid_body',
      error.message,
      error.field,
    );
  if (PayloadTooLargeError.is(error))
    return local(
      GrpcStatus.RESOURCE_EXHAUSTED,
      'payload_too_large',
      error.message,
      'body',
    );
  if (SlowConsumerError.is(error))
    return local(GrpcStatus.RESOURCE_EXHAUSTED, 'slow_consumer', error.message);
  if (UnsupportedMediaTypeError.is(error))
    return local(
      GrpcStatus.INVALID_ARGUMENT,
      'unsupported_media_type',
      error.message,
      error.field,
    );
  if (DomainError.is(error))
    return {
      ...local(error.status, error.code, error.message, error.field),
      ...retryAfterOf(error as { retryAfterMs?: unknown }),
    };
  const withCode = error as {
    code?: unknown;
    details?: unknown;
    message?: unknown;
    reason?: unknown;
    retryAfterMs?: unknown;
  } | null;
  if (withCode && isGrpcStatus(withCode.code)) {
    const status = withCode.code;
    const fromDownstream = DownstreamError.is(error);
    const sentReason = typeof withCode.reason === 'string';
    const reason =
      sentReason &&
      CODE.test(withCode.reason as string) &&
      !GENERIC_CODES.has(withCode.reason as string)
        ? (withCode.reason as string)
        : undefined;
    const httpStatus = httpStatusOf(status, reason, fromDownstream);
    // A downstream's business answer keeps its own words; a fault keeps its chain
    // ("order.PlaceOrder failed: DEADLINE_EXCEEDED: … payment.Charge failed: …") so it can be traced.
    const fault = fromDownstream && (httpStatus >= 499 || !sentReason);
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
      ...retryAfterOf(withCode),
      origin: !fromDownstream
        ? 'local'
        : sentReason
          ? 'downstream'
          : 'transport',
      outcome: outcomeOfStatus(status),
    };
  }
  return local(GrpcStatus.INTERNAL, 'internal', 'internal error');
}

/** A fail-fast answer's own `retryAfterMs`, when it is a sane number. */
function retryAfterOf(error: { retryAfterMs?: unknown }): {
  retryAfterMs?: number;
} {
  const { retryAfterMs } = error;
  return typeof retryAfterMs === 'number' && retryAfterMs >= 0
    ? { retryAfterMs }
    : {};
}

function local(
  status: GrpcStatus,
  code: string,
  message: string,
  field?: string,
): Failure {
  return {
    status,
    code,
    message,
    httpStatus: httpStatusOf(status, code, false),
    ...(field ? { field } : {}),
    origin: 'local',
    outcome: outcomeOfStatus(status),
  };
}

function outcomeOfStatus(status: GrpcStatus): HopOutcome {
  return status === GrpcStatus.DEADLINE_EXCEEDED
    ? 'deadline_exceeded'
    : status === GrpcStatus.CANCELLED
      ? 'cancelled'
      : 'error';
}
