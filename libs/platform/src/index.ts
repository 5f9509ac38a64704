export { startGrpcTier, type GrpcTierOptions } from './grpc-service';
export { HealthDetails } from './health-details';
export { TIER_NAME } from './tier-name';
export { downstream } from './downstream';
export { TierModule, type TierModuleOptions } from './tier.module';
export { GrpcHealthController } from './grpc-health.controller';
export { JsonLogger } from './json-logger';
export {
  parseEnv,
  int,
  str,
  bool,
  oneOf,
  EnvProblem,
  type EnvSpec,
  type EnvOf,
  type EnvVar,
} from './env';
export { COMMON_ENV } from './common-env';
