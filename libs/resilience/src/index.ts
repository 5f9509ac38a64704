// Deadline Relay's resilience library: breakers that understand deadlines, on cockatiel.
// User-facing API first; framework-free core, then gRPC (grpc-js), then the Nest adapter.

// Core (no framework)
export {
  ResilientDownstream,
  type ResilienceOptions,
  type GuardedCall,
  type DownstreamSnapshot,
} from './core/resilient-downstream.js';
export { BreakerRegistry } from './core/breaker-registry.js';
export {
  DeadlineBreaker,
  type DeadlineBreakerOptions,
  type BreakerState,
  type BreakerAttempt,
  type BreakerCall,
  type BreakerStateChange,
  type BreakerSnapshot,
} from './core/deadline-breaker.js';
export {
  BreakerOpenError,
  type BreakerRejection,
} from './core/breaker-open.error.js';
export { BulkheadFullError } from './core/bulkhead-full.error.js';
export { AttemptTimeoutError } from './core/attempt-timeout.error.js';
export {
  classifyOutcome,
  type CallOutcome,
  type Classifier,
  type AttemptFacts,
} from './core/call-outcome.js';
export {
  WindowedBreaker,
  type WindowedBreakerOptions,
} from './core/windowed-breaker.js';
export { RollingWindow, type WindowCounts } from './core/rolling-window.js';
export { probeBudgetMs, type ProbeBudgetInput } from './core/probe-budget.js';
export {
  retryWithinBudget,
  type RetryOptions,
  type RetryBudget,
} from './core/budget-retry.js';
export { Bulkhead, type BulkheadOptions } from './core/bulkhead.js';
export { LatencyTracker } from './core/latency-tracker.js';
export { parseResilienceOverrides } from './core/resilience-overrides.js';
export {
  ReplicaBalancer,
  Replica,
  type ReplicaBalancerOptions,
  type ReplicaSnapshot,
} from './core/replica-balancer.js';
export { PeakEwma, type PeakEwmaOptions } from './core/peak-ewma.js';
export {
  OutlierEjector,
  type OutlierEjectorOptions,
  type EjectionReason,
  type EjectionSnapshot,
} from './core/outlier-ejector.js';
export {
  classifyReplicaStatus,
  type ReplicaOutcome,
} from './core/replica-outcome.js';
export { HedgePolicy, type HedgePolicyOptions } from './core/hedge-policy.js';
export { HedgeDelay, type HedgeDelayOptions } from './core/hedge-delay.js';
export { HedgeBudget, type HedgeBudgetOptions } from './core/hedge-budget.js';
export {
  LatencyHistogram,
  type LatencyHistogramOptions,
} from './core/latency-histogram.js';

// gRPC (grpc-js, no framework)
export {
  registerReplicaBalancer,
  replicaServiceConfig,
  replicaSnapshot,
  REPLICA_BALANCER_POLICY,
  type ReplicaBalancerConfig,
  type ChannelReplicaSnapshot,
} from './grpc/replica-balancer.lb.js';
export {
  avoidReplicas,
  pickedReplica,
  REPLICA_ROUTE_METADATA_KEY,
} from './grpc/replica-route.js';
export { resilienceMiddleware } from './grpc/resilience.middleware.js';
export { replicaRoutingMiddleware } from './grpc/replica-routing.middleware.js';
export {
  hedgingMiddleware,
  type HedgingOptions,
  type HedgeEvent,
} from './grpc/hedging.middleware.js';
export {
  resilienceStreamGuard,
  streamBulkhead,
} from './grpc/resilience-stream.guard.js';
export {
  grpcHealthProbe,
  type GrpcHealthProbeOptions,
} from './grpc/health-probe.js';

// Nest adapter
export { ResilienceModule } from './nest/resilience.module.js';
export {
  RESILIENCE_MODULE_OPTIONS,
  type ResilienceModuleOptions,
} from './nest/resilience.options.js';
