import { GrpcStatus } from './grpc-status.js';
import {
  genericCode,
  grpcStatusFromHttp,
  httpStatusFromGrpc,
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

describe(genericCode.name, () => {
  it('names a status, or a bad gateway', () => {
    expect(genericCode(GrpcStatus.FAILED_PRECONDITION, 409)).toBe(
      'failed_precondition',
    );
    expect(genericCode(GrpcStatus.INTERNAL, 502)).toBe('bad_gateway');
  });
});
