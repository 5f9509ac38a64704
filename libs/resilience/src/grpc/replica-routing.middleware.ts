import { type Metadata } from '@grpc/grpc-js';
import { type ClientMiddleware } from '@lib/deadline';
import { avoidReplicas, pickedReplica } from './replica-route.js';

/** One call's routing so far: the replicas its finished attempts went to, and its attempts in flight. */
interface CallRoutes {
  readonly tried: string[];
  /** Each running attempt's own metadata, whose pick is known once it started on a replica. */
  readonly running: Set<Metadata>;
}

/**
 * Sends each attempt of a call to a replica the call has not tried yet, and none of its attempts
 * to a replica another of its attempts is running on, when the channel balances with `deadline_p2c`
 * and another ready replica is there. Place it inside {@link resilienceMiddleware} (and inside
 * {@link hedgingMiddleware}) so it runs once per attempt: each attempt gets its own clone of the
 * call's metadata marked with {@link avoidReplicas} (the replicas tried so far, and those the
 * attempts still in flight went to — a hedge started while the first attempt runs avoids it), and
 * the replica it went to is added to the call's list when it ends. The lists are keyed by the
 * call's own Metadata, which the retry and the hedge pass to every attempt, and die with it. Only
 * for `deadline_p2c` channels: their picker takes the route token out of what is sent; another
 * policy would send it on.
 */
export function replicaRoutingMiddleware(): ClientMiddleware {
  const calls = new WeakMap<Metadata, CallRoutes>();
  return (next) => async (call) => {
    let routes = calls.get(call.metadata);
    if (!routes) {
      routes = { tried: [], running: new Set() };
      calls.set(call.metadata, routes);
    }
    const avoid = new Set(routes.tried);
    for (const other of routes.running) {
      const picked = pickedReplica(other);
      if (picked !== undefined) avoid.add(picked);
    }
    const attempt = call.metadata.clone();
    avoidReplicas(attempt, avoid);
    routes.running.add(attempt);
    try {
      return await next({ ...call, metadata: attempt });
    } finally {
      routes.running.delete(attempt);
      const picked = pickedReplica(attempt);
      if (picked !== undefined && !routes.tried.includes(picked))
        routes.tried.push(picked);
    }
  };
}
