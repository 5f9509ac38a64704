import { type Metadata } from '@grpc/grpc-js';
import { type ClientMiddleware } from '@lib/deadline';
import { avoidReplicas, pickedReplica } from './replica-route.js';

/**
 * Sends each attempt of a call to a replica the call has not tried yet, when the channel balances
 * with `deadline_p2c` and another ready replica is there. Place it inside
 * {@link resilienceMiddleware} so it runs once per attempt: each attempt gets its own clone of the
 * call's metadata marked with {@link avoidReplicas} (the replicas tried so far), and the replica it
 * went to is added to the call's list afterwards. The list is keyed by the call's own Metadata,
 * which the retry passes to every attempt, and dies with it. Only for `deadline_p2c` channels:
 * their picker takes the route token out of what is sent; another policy would send it on.
 */
export function replicaRoutingMiddleware(): ClientMiddleware {
  const tried = new WeakMap<Metadata, string[]>();
  return (next) => async (call) => {
    const triedSoFar = tried.get(call.metadata) ?? [];
    const attempt = call.metadata.clone();
    avoidReplicas(attempt, triedSoFar);
    try {
      return await next({ ...call, metadata: attempt });
    } finally {
      const picked = pickedReplica(attempt);
      if (picked !== undefined && !triedSoFar.includes(picked)) {
        triedSoFar.push(picked);
        tried.set(call.metadata, triedSoFar);
      }
    }
  };
}
