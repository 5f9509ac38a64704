export { startGrpcTier, type GrpcTierOptions } from './grpc-service.js';
export { HealthDetails } from './health-details.js';
export { TIER_NAME } from './tier-name.js';
export { downstream } from './downstream.js';
export { TierModule, type TierModuleOptions } from './tier.module.js';
export { GrpcHealthController } from './grpc-health.controller.js';
export {
  TierLogger,
  type TierLoggerOptions,
  type LogSink,
} from './tier.logger.js';
export { prettyLogLine } from './pretty-log-line.js';
export {
  parseEnv,
  int,
  str,
  bool,
  oneOf,
  secret,
  list,
  EnvProblem,
  type EnvCheckContext,
  type EnvSpec,
  type EnvOf,
  type EnvVar,
} from './env.js';
export { COMMON_ENV } from './common-env.js';
export {
  grpcTls,
  grpcServerCredentials,
  grpcChannelCredentials,
  GRPC_TLS_ENV,
  type GrpcTls,
} from './grpc-tls.js';
