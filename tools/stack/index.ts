export { Stack, repoRoot, TIERS, DEFAULT_PORTS, type TierName, type StackOptions } from './stack';
export { TierProcess, type LogEvent } from './tier-process';
export { freePort } from './free-port';
