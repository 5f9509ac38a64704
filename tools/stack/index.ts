export {
  Stack,
  repoRoot,
  TIERS,
  DEFAULT_PORTS,
  DEFAULT_ADMIN_PORTS,
  type TierName,
  type GrpcTierName,
  type StackOptions,
} from './stack.js';
export {
  parseReplicas,
  replicasProblem,
  REPLICABLE_TIERS,
  MAX_REPLICAS,
  REPLICA_PORT_STEP,
  documentedReplicaPorts,
  type ReplicaPorts,
  type Replicas,
  type ReplicableTier,
} from './replicas.js';
export { TierProcess, type LogEvent } from './tier-process.js';
export { freePort } from './free-port.js';
