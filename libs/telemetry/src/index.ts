// Deadline Relay's telemetry: the deadline on OpenTelemetry spans, Prometheus metrics, and the
// ContextTracer (recent requests, waterfall page). User-facing API first.
//
// Import-order rule: nothing here may load `@grpc/grpc-js` at runtime (only `import type` from
// `@lib/deadline`), so `startTelemetry()` can run before grpc-js is required and instrument it.

export {
  startTelemetry,
  type StartTelemetryOptions,
} from './otel/start-telemetry.js';
export {
  Telemetry,
  telemetry,
  type TelemetryOptions,
  type TraceContextMode,
} from './otel/telemetry.js';
export { continueTrace } from './otel/trace-context.js';
export {
  SAMPLER_NAMES,
  SAMPLER_RATIO_PATTERN,
  type SamplerName,
} from './otel/sampler.js';
export {
  METADATA_GETTER,
  METADATA_SETTER,
  type MetadataLike,
} from './otel/metadata-carrier.js';
export {
  deadlineTracing,
  isBreakerOpen,
  type DeadlineTracingOptions,
} from './otel/deadline-tracing.middleware.js';
export {
  DeadlineAttr,
  decayPct,
  type DeadlineOutcome,
} from './core/deadline-attributes.js';
export {
  DeadlineMetrics,
  type DeadlineMetricsOptions,
  type ReplicaCounts,
} from './core/deadline-metrics.js';
export {
  RecentRequests,
  type RecentRequest,
  type RecentRequestsOptions,
} from './core/recent-requests.js';
export { waterfallOf, type WaterfallBar } from './core/waterfall.js';
export { DeadlineSpanProcessor } from './otel/deadline-span.processor.js';
export { traceContextStep } from './otel/trace-context.server-step.js';
export { deadlineSpanStep } from './otel/deadline-span.server-step.js';
export {
  writeServerSpanAttributes,
  type ServerSpanAttributesOptions,
  type ScopeView,
} from './otel/server-span-attributes.js';

// Nest adapters
export {
  TelemetryModule,
  type TelemetryModuleOptions,
} from './nest/telemetry.module.js';
export { TraceContextModule } from './nest/trace-context.module.js';
export { TraceContextInterceptor } from './nest/trace-context.interceptor.js';
export {
  DeadlineSpanInterceptor,
  type DeadlineSpanInterceptorOptions,
} from './nest/deadline-span.interceptor.js';
export {
  requestEndHook,
  attributesOf,
  type RequestEndHookOptions,
} from './nest/request-end.hook.js';
export { MetricsController } from './nest/metrics.controller.js';
export {
  TracerController,
  type RequestSummary,
  type RequestDetail,
} from './nest/tracer.controller.js';
