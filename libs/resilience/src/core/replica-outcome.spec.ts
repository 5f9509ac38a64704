import { GrpcStatus } from '@lib/deadline';
import { classifyReplicaStatus } from './replica-outcome.js';

describe(classifyReplicaStatus.name, () => {
  it.each([
    GrpcStatus.UNAVAILABLE,
    GrpcStatus.INTERNAL,
    GrpcStatus.UNKNOWN,
    GrpcStatus.RESOURCE_EXHAUSTED,
    GrpcStatus.DATA_LOSS,
    GrpcStatus.UNIMPLEMENTED,
  ])('blames the replica for status %i', (code) => {
    expect(classifyReplicaStatus(code)).toBe('failure');
  });

  it.each([
    GrpcStatus.OK,
    GrpcStatus.INVALID_ARGUMENT,
    GrpcStatus.NOT_FOUND,
    GrpcStatus.ALREADY_EXISTS,
    GrpcStatus.FAILED_PRECONDITION,
    GrpcStatus.PERMISSION_DENIED,
    GrpcStatus.ABORTED,
  ])('counts status %i as an answer from a working replica', (code) => {
    expect(classifyReplicaStatus(code)).toBe('success');
  });

  it('ignores a call the caller cancelled', () => {
    expect(classifyReplicaStatus(GrpcStatus.CANCELLED)).toBe('ignored');
  });

  it('reports the caller budget running out as a timeout, not a failure', () => {
    expect(classifyReplicaStatus(GrpcStatus.DEADLINE_EXCEEDED)).toBe('timeout');
  });
});
