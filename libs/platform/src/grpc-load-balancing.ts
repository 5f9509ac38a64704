import {
  registerReplicaBalancer,
  REPLICA_BALANCER_POLICY,
  replicaServiceConfig,
} from '@lib/resilience';

/** The balancing policies a tier may use over a downstream with several replicas (`GRPC_LB_POLICY`). */
export const GRPC_LB_POLICIES = [
  REPLICA_BALANCER_POLICY,
  'round_robin',
  'outlier_detection',
] as const;

export type GrpcLbPolicy = (typeof GRPC_LB_POLICIES)[number];

/**
 * A URL that can name several replicas: a list (`ipv4:127.0.0.1:p1,127.0.0.1:p2`) or a DNS name
 * (`dns:///inventory:50053`, a headless Service answering with one address per pod, or
 * `dns://127.0.0.1:5353/inventory:50053`, asking that DNS server; see grpc-dns.ts).
 */
export function namesReplicas(url: string): boolean {
  return url.includes(',') || url.startsWith('dns:');
}

/**
 * grpc-js's `outlier_detection` (gRFC A50) around `round_robin`, tuned for a handful of replicas
 * rather than its defaults for large sets (5 hosts at least, 10 % ejected at most): evaluated every
 * second, a replica failing half of its 10+ calls is ejected for 10 s × n (at most 2 min), up to half
 * of the set. It counts every non-OK status as a failure, business answers included.
 */
const OUTLIER_DETECTION_CONFIG = {
  interval: { seconds: 1, nanos: 0 },
  base_ejection_time: { seconds: 10, nanos: 0 },
  max_ejection_time: { seconds: 120, nanos: 0 },
  max_ejection_percent: 50,
  failure_percentage_ejection: {
    threshold: 50,
    enforcement_percentage: 100,
    minimum_hosts: 2,
    request_volume: 10,
  },
  child_policy: [{ round_robin: {} }],
};

/**
 * The `grpc.service_config` channel option for a downstream whose URL names several replicas:
 * `deadline_p2c` (registered here, its replicas under `name` in `replicaSnapshot`), `round_robin`,
 * or `outlier_detection` over round_robin, for the benchmark's comparison.
 */
export function loadBalancingServiceConfig(
  policy: GrpcLbPolicy,
  name: string,
): string {
  if (policy === REPLICA_BALANCER_POLICY) {
    registerReplicaBalancer();
    return replicaServiceConfig({ name });
  }
  return JSON.stringify({
    loadBalancingConfig:
      policy === 'outlier_detection'
        ? [{ outlier_detection: OUTLIER_DETECTION_CONFIG }, { round_robin: {} }]
        : [{ round_robin: {} }],
  });
}
