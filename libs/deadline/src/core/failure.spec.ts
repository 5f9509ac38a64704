import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { DownstreamError } from './downstream.error.js';
import { failureOf } from './failure.js';
import { GrpcStatus } from './grpc-status.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

/** A downstream's answer as the client builds it. */
const downstream = (
  code: GrpcStatus,
  reason: string | undefined,
  details: string,
) => new DownstreamError(code, reason, details, 'order', 'PlaceOrder');

describe(failureOf.name, () => {
  it('classifies the typed errors', () => {
    expect(failureOf(new DeadlineExceededError('late'))).toMatchObject({
      status: GrpcStatus.DEADLINE_EXCEEDED,
      code: 'deadline_exceeded',
      message: 'late',
      httpStatus: 504,
    });
    expect(failureOf(new CancelledError('gone'))).toMatchObject({
      status: GrpcStatus.CANCELLED,
      code: 'cancelled',
      message: 'gone',
      httpStatus: 499,
    });
    expect(
      failureOf(new InvalidTimeoutError('x-request-timeout', 'bad')),
    ).toMatchObject({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'invalid_timeout',
      message: 'invalid x-request-timeout: bad',
      httpStatus: 400,
      field: 'x-request-timeout',
    });
    expect(
      failureOf(
        new DomainError(
          GrpcStatus.FAILED_PRECONDITION,
          'out_of_stock',
          'none left',
        ),
      ),
    ).toMatchObject({
      status: GrpcStatus.FAILED_PRECONDITION,
      code: 'out_of_stock',
      message: 'none left',
      httpStatus: 409,
    });
  });

  it('gives a refused body its own HTTP status where HTTP has one: 400, 413, 415', () => {
    expect(failureOf(new InvalidBodyError('sku', 'sku is bad'))).toMatchObject({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'invalid_body',
      message: 'sku is bad',
      httpStatus: 400,
      field: 'sku',
    });
    expect(failureOf(new PayloadTooLargeError('too big', 10))).toMatchObject({
      status: GrpcStatus.RESOURCE_EXHAUSTED,
      code: 'payload_too_large',
      message: 'too big',
      httpStatus: 413,
      field: 'body',
    });
    expect(
      failureOf(new UnsupportedMediaTypeError('content-encoding', 'zstd?')),
    ).toMatchObject({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'unsupported_media_type',
      message: 'zstd?',
      httpStatus: 415,
      field: 'content-encoding',
    });
  });

  it('keeps a downstream gRPC status and its machine-readable reason', () => {
    expect(
      failureOf({
        code: GrpcStatus.UNAVAILABLE,
        details: 'connection refused',
      }),
    ).toMatchObject({
      status: GrpcStatus.UNAVAILABLE,
      code: 'unavailable',
      message: 'connection refused',
      httpStatus: 503,
    });
    expect(
      failureOf({
        code: GrpcStatus.FAILED_PRECONDITION,
        details: 'declined',
        reason: 'payment_declined',
      }).code,
    ).toBe('payment_declined');
  });

  it.each([
    GrpcStatus.INTERNAL,
    GrpcStatus.UNKNOWN,
    GrpcStatus.DATA_LOSS,
    GrpcStatus.UNIMPLEMENTED,
  ])(
    'answers a tier behind that failed with %s as 502 bad_gateway, the chain naming the status',
    (code) => {
      expect(failureOf(downstream(code, undefined, 'boom'))).toMatchObject({
        status: code,
        code: 'bad_gateway',
        message: `order.PlaceOrder failed: ${GrpcStatus[code]}: boom`,
        httpStatus: 502,
      });
    },
  );

  it('keeps a specific code on a 502 (an injected fault), recomputes a generic one', () => {
    expect(
      failureOf(downstream(GrpcStatus.INTERNAL, 'chaos_fault', 'injected')),
    ).toMatchObject({ code: 'chaos_fault', httpStatus: 502 });
    // The tier behind had a bug of its own ('internal'): for this edge that is a bad gateway.
    expect(
      failureOf(downstream(GrpcStatus.INTERNAL, 'internal', 'internal error')),
    ).toMatchObject({ code: 'bad_gateway', httpStatus: 502 });
  });

  it('keeps 500 for the edge’s own INTERNAL: only a tier behind makes a 502', () => {
    expect(
      failureOf({ code: GrpcStatus.INTERNAL, details: 'x', reason: 'oops' }),
    ).toMatchObject({ code: 'oops', httpStatus: 500 });
  });

  it('reads a downstream’s code as wire input: malformed or prototype names are not codes', () => {
    for (const reason of ['Not A Code', 'x'.repeat(65), '']) {
      expect(
        failureOf(downstream(GrpcStatus.NOT_FOUND, reason, 'gone')).code,
      ).toBe('not_found');
    }
    expect(
      failureOf(downstream(GrpcStatus.RESOURCE_EXHAUSTED, 'constructor', 'x')),
    ).toMatchObject({ code: 'constructor', httpStatus: 429 });
  });

  it('hides the details of anything unexpected', () => {
    expect(failureOf(new TypeError('secret internals'))).toMatchObject({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
      httpStatus: 500,
    });
    expect(failureOf({ code: 'ECONNRESET' })).toMatchObject({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
      httpStatus: 500,
    });
  });
  it('says where a failure was decided', () => {
    expect(failureOf(new DeadlineExceededError('late')).origin).toBe('local');
    expect(
      failureOf(downstream(GrpcStatus.UNAVAILABLE, 'breaker_open', 'x')).origin,
    ).toBe('downstream');
    expect(
      failureOf(downstream(GrpcStatus.UNAVAILABLE, undefined, 'x')).origin,
    ).toBe('transport');
    expect(
      failureOf({ code: GrpcStatus.UNAVAILABLE, reason: 'breaker_open' }),
    ).toMatchObject({ origin: 'local', code: 'breaker_open' });
  });

  it('gives the hop outcome from the status', () => {
    expect(failureOf(new DeadlineExceededError()).outcome).toBe(
      'deadline_exceeded',
    );
    expect(failureOf(new CancelledError()).outcome).toBe('cancelled');
    expect(failureOf({ code: 4 }).outcome).toBe('deadline_exceeded');
    expect(failureOf({ code: 1 }).outcome).toBe('cancelled');
    expect(failureOf(new Error('boom')).outcome).toBe('error');
  });

  it('keeps a fail-fast answer’s retry-after, and only a sane one', () => {
    expect(
      failureOf({ code: GrpcStatus.UNAVAILABLE, retryAfterMs: 250 })
        .retryAfterMs,
    ).toBe(250);
    expect(
      failureOf({ code: GrpcStatus.UNAVAILABLE, retryAfterMs: -1 }),
    ).not.toHaveProperty('retryAfterMs');
    expect(
      failureOf(
        new DownstreamError(
          GrpcStatus.UNAVAILABLE,
          'breaker_open',
          'x',
          'a',
          'B',
          900,
        ),
      ).retryAfterMs,
    ).toBe(900);
  });
});
