import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { DomainError } from './domain.error.js';
import { GrpcStatus } from './grpc-status.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';
import {
  grpcStatusFromHttp,
  httpStatusFromGrpc,
  statusOf,
} from './status-map.js';

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
    });
    expect(statusOf(new CancelledError('gone'))).toEqual({
      status: GrpcStatus.CANCELLED,
      code: 'cancelled',
      message: 'gone',
    });
    expect(
      statusOf(new InvalidTimeoutError('x-request-timeout', 'bad')).code,
    ).toBe('invalid_timeout');
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
    });
  });

  it('keeps a downstream gRPC status and its machine-readable reason', () => {
    expect(
      statusOf({ code: GrpcStatus.UNAVAILABLE, details: 'connection refused' }),
    ).toEqual({
      status: GrpcStatus.UNAVAILABLE,
      code: 'unavailable',
      message: 'connection refused',
    });
    expect(
      statusOf({
        code: GrpcStatus.FAILED_PRECONDITION,
        details: 'declined',
        reason: 'payment_declined',
      }).code,
    ).toBe('payment_declined');
  });

  it('hides the details of anything unexpected', () => {
    expect(statusOf(new TypeError('secret internals'))).toEqual({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
    });
    expect(statusOf({ code: 'ECONNRESET' })).toEqual({
      status: GrpcStatus.INTERNAL,
      code: 'internal',
      message: 'internal error',
    });
  });
});
