export { startGrpcTier, type GrpcTierOptions } from './grpc-service.js';
export { HealthDetails } from './health-details.js';
export { TIER_NAME } from './tier-name.js';
export { downstream } from './downstream.js';
export { TierModule, type TierModuleOptions } from './tier.module.js';
export { GrpcHealthController } from './grpc-health.controller.js';
export { JsonLogger } from './json-logger.js';
export {
  parseEnv,
  int,
  str,
  bool,
  oneOf,
  list,
  EnvProblem,
  type EnvSpec,
  type EnvOf,
  type EnvVar,
} from './env.js';
export { COMMON_ENV } from './common-env.js';
