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
export { TierProcess, type LogEvent } from './tier-process.js';
export { freePort } from './free-port.js';
