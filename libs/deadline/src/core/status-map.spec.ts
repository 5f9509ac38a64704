import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { GrpcStatus } from './grpc-status.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import {
  genericCode,
  grpcStatusFromHttp,
  httpStatusFromGrpc,
  statusOf,
} from './status-map.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

/** What a DownstreamError (libs/deadline/src/grpc) looks like to the core: a tag, a status, maybe a code. */
const downstream = (
  code: GrpcStatus,
  reason: string | undefined,
  details: string,
) => ({
  tag: 'DownstreamError',
  code,
  reason,
  details,
  message: `order.PlaceOrder failed: ${GrpcStatus[code]}: ${details}`,
});

describe(httpStatusFromGrpc.name, () => {
  it.each([
    [GrpcStatus.DEADLINE_EXCEEDED, 504],
    [GrpcStatus.CANCELLED, 499],
    [GrpcStatus.UNAVAILABLE, 503],
    [GrpcStatus.UNAUTHENTICATED, 401],
    [GrpcStatus.INVALID_ARGUMENT, 400],
    [GrpcStatus.FAILED_PRECONDITION, 409],
    [GrpcStatus.INTERNAL, 500],
  ])('maps gRPC %s to HTTP %s', (grpc, http) => {
    expect(httpStatusFromGrpc(grpc)).toBe(http);
  });

  it('maps the deadline statuses back the other way', () => {
    expect(grpcStatusFromHttp(504)).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(grpcStatusFromHttp(499)).toBe(GrpcStatus.CANCELLED);
    expect(grpcStatusFromHttp(503)).toBe(GrpcStatus.UNAVAILABLE);
    expect(grpcStatusFromHttp(502)).toBe(GrpcStatus.UNAVAILABLE);
  });
});

describe(statusOf.name, () => {
  it('classifies the typed errors', () => {
    expect(statusOf(new DeadlineExceededError('late'))).toEqual({
      status: GrpcStatus.DEADLINE_EXCEEDED,
      code: 'deadline_exceeded',
      message: 'late',
      httpStatus: 504,
    });
    expect(statusOf(new CancelledError('gone'))).toEqual({
      status: GrpcStatus.CANCELLED,
      code: 'cancelled',
      message: 'gone',
      httpStatus: 499,
    });
    expect(
      statusOf(new InvalidTimeoutError('x-request-timeout', 'bad')),
    ).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'invalid_timeout',
      message: 'invalid x-request-timeout: bad',
      httpStatus: 400,
      field: 'x-request-timeout',
    });
    expect(
      statusOf(
        new DomainError(
          GrpcStatus.FAILED_PRECONDITION,
          'out_of_stock',
          'none left',
        ),
      ),
    ).toEqual({
      status: GrpcStatus.FAILED_PRECONDITION,
      code: 'out_of_stock',
      message: 'none left',
      httpStatus: 409,
    });
  });

  it('gives a refused body its own HTTP status where HTTP has one: 400, 413, 415', () => {
    expect(statusOf(new InvalidBodyError('sku', 'sku is bad'))).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'invalid_body',
      message: 'sku is bad',
      httpStatus: 400,
      field: 'sku',
    });
    expect(statusOf(new PayloadTooLargeError('too big', 10))).toEqual({
      status: GrpcStatus.RESOURCE_EXHAUSTED,
      code: 'payload_too_large',
      message: 'too big',
      httpStatus: 413,
      field: 'body',
    });
    expect(
      statusOf(new UnsupportedMediaTypeError('content-encoding', 'zstd?')),
    ).toEqual({
      status: GrpcStatus.INVALID_ARGUMENT,
      code: 'unsupported_media_type',
      message: 'zstd?',
      httpStatus: 415,
      field: 'content-encoding',
    });
  });

  it('keeps a downstream gRPC status and its machine-readable reason', () => {
    expect(
      statusOf({ code: GrpcStatus.UNAVAILABLE, details: 'connection refused' }),
    ).toEqual({
      status: GrpcStatus.UNAVAILABLE,
      code: 'unavailable',
      message: 'connection refused',
      httpStatus: 503,
    });
    expect(
      statusOf({
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
      expect(statusOf(downstream(code, undefined, 'boom'))).toEqual({
        status: code,
        code: 'bad_gateway',
        message: `order.PlaceOrder failed: ${GrpcStatus[code]}: boom`,
        httpStatus: 502,
      });
    },
  );

  it('keeps a specific code on a 502 (an injected fault), recomputes a generic one', () => {
    expect(
      statusOf(downstream(GrpcStatus.INTERNAL, 'chaos_fault', 'injected')),
    ).toMatchObject({ code: 'chaos_fault', httpStatus: 502 });
    // The tier behind had a bug of its own ('internal'): for this edge that is a bad gateway.
    expect(
      statusOf(downstream(GrpcStatus.INTERNAL, 'internal', 'internal error')),
    ).toMatchObject({ code: 'bad_gateway', httpStatus: 502 });
  });

  it('keeps 500 for the edge’s own INTERNAL: only a tier behind makes a 502', () => {
    expect(
      statusOf({ code: GrpcStatus.INTERNAL, details: 'x', reason: 'oops' }),
    ).toMatchObject({ code: 'oops', httpStatus: 500 });
  });

  it('reads a downstream’s code as wire input: malformed or prototype names are not codes', () => {
    for (const reason of ['Not A Code', 'x'.repeat(65), '']) {
      expect(
        statusOf(downstream(GrpcStatus.NOT_FOUND, reason, 'gone')).code,
      ).toBe('not_found');
    }
    expect(
      statusOf(downstream(GrpcStatus.RESOURCE_EXHAUSTED, 'constructor', 'x')),
    ).toMatchObject({ code: 'constructor', httpStatus: 429 });
  });

  it('hides the details of anything unexpected', () => {
    expect(statusOf(new TypeError('secret internals'))).toEqual({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
      httpStatus: 500,
    });
    expect(statusOf({ code: 'ECONNRESET' })).toEqual({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
      httpStatus: 500,
    });
  });
});

describe(genericCode.name, () => {
  it('names a status, or a bad gateway', () => {
    expect(genericCode(GrpcStatus.FAILED_PRECONDITION, 409)).toBe(
      'failed_precondition',
    );
    expect(genericCode(GrpcStatus.INTERNAL, 502)).toBe('bad_gateway');
  });
});
