export {
  Stack,
  repoRoot,
  TIERS,
  DEFAULT_PORTS,
  DEFAULT_ADMIN_PORTS,
  type TierName,
  type GrpcTierName,
  type StackOptions,
} from './stack';
export { TierProcess, type LogEvent } from './tier-process';
export { freePort } from './free-port';
