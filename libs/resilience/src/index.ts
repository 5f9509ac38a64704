// Deadline Relay's resilience library: breakers that understand deadlines, on cockatiel.
// User-facing API first; framework-free core, then gRPC (grpc-js), then the Nest adapter.

// Core (no framework)
export {
  ResilientDownstream,
  type ResilienceOptions,
  type GuardedCall,
  type DownstreamSnapshot,
} from './core/resilient-downstream';
export { BreakerRegistry } from './core/breaker-registry';
export {
  DeadlineBreaker,
  type DeadlineBreakerOptions,
  type BreakerState,
  type BreakerAttempt,
  type BreakerCall,
  type BreakerStateChange,
  type BreakerSnapshot,
} from './core/deadline-breaker';
export {
  BreakerOpenError,
  type BreakerRejection,
} from './core/breaker-open.error';
export { BulkheadFullError } from './core/bulkhead-full.error';
export { AttemptTimeoutError } from './core/attempt-timeout.error';
export {
  classifyOutcome,
  type CallOutcome,
  type Classifier,
  type AttemptFacts,
} from './core/call-outcome';
export {
  WindowedBreaker,
  type WindowedBreakerOptions,
} from './core/windowed-breaker';
export { RollingWindow, type WindowCounts } from './core/rolling-window';
export { probeBudgetMs, type ProbeBudgetInput } from './core/probe-budget';
export {
  retryWithinBudget,
  type RetryOptions,
  type RetryBudget,
} from './core/budget-retry';
export { Bulkhead, type BulkheadOptions } from './core/bulkhead';
export { LatencyTracker } from './core/latency-tracker';
export { parseResilienceOverrides } from './core/resilience-overrides';

// gRPC (grpc-js, no framework)
export { resilienceMiddleware } from './grpc/resilience.middleware';
export { grpcHealthProbe } from './grpc/health-probe';

// Nest adapter
export { ResilienceModule } from './nest/resilience.module';
export {
  RESILIENCE_MODULE_OPTIONS,
  type ResilienceModuleOptions,
} from './nest/resilience.options';
