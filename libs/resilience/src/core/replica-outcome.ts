import { GrpcStatus } from '@lib/deadline';

/**
 * What one finished call says about the replica that served it (not about the request):
 * - `success`: the replica answered, a business error included (it did its job);
 * - `failure`: the replica could not serve the call (unavailable, crashed, overloaded, broken);
 * - `timeout`: the caller's budget ran out first; not the replica's fault, but its elapsed time
 *   is a lower bound on the replica's latency;
 * - `ignored`: the caller cancelled; its elapsed time is a lower bound too, nothing more.
 */
export type ReplicaOutcome = 'success' | 'failure' | 'timeout' | 'ignored';

/**
 * Statuses a replica is blamed for. UNAVAILABLE (down, refused, breaker open), INTERNAL, UNKNOWN
 * (a handler that threw), RESOURCE_EXHAUSTED (overloaded), DATA_LOSS and UNIMPLEMENTED (a replica
 * running a build without the method) come from the replica itself; a peer would likely answer.
 */
const REPLICA_FAILURES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.DATA_LOSS,
  GrpcStatus.UNIMPLEMENTED,
]);

/**
 * The one classification of a gRPC status for balancing. CANCELLED is always the caller's doing
 * (grpc-js reports a client cancel as CANCELLED "Cancelled on client"; a hedge's loser is one) and
 * DEADLINE_EXCEEDED is the caller's budget, whichever side's timer fired: neither counts as a
 * failure. Every other status (OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
 * PERMISSION_DENIED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNAUTHENTICATED) is an answer:
 * a success for the replica.
 */
export function classifyReplicaStatus(code: number): ReplicaOutcome {
  const status = code as GrpcStatus;
  if (status === GrpcStatus.OK) return 'success';
  if (status === GrpcStatus.CANCELLED) return 'ignored';
  if (status === GrpcStatus.DEADLINE_EXCEEDED) return 'timeout';
  return REPLICA_FAILURES.has(status) ? 'failure' : 'success';
}
