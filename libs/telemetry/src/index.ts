// Deadline Relay's telemetry: the deadline on OpenTelemetry spans, Prometheus metrics, and the
// ContextTracer (recent requests, waterfall page). User-facing API first.
//
// Import-order rule: nothing here may load `@grpc/grpc-js` at runtime (only `import type` from
// `@lib/deadline`), so `startTelemetry()` can run before grpc-js is required and instrument it.

export {
  startTelemetry,
  type StartTelemetryOptions,
} from './otel/start-telemetry';
export {
  Telemetry,
  telemetry,
  type TelemetryOptions,
  type TraceContextMode,
} from './otel/telemetry';
export { continueTrace } from './otel/trace-context';
export {
  SAMPLER_NAMES,
  SAMPLER_RATIO_PATTERN,
  type SamplerName,
} from './otel/sampler';
export {
  METADATA_GETTER,
  METADATA_SETTER,
  type MetadataLike,
} from './otel/metadata-carrier';
export {
  deadlineTracing,
  isBreakerOpen,
  type DeadlineTracingOptions,
} from './otel/deadline-tracing.middleware';
export {
  DeadlineAttr,
  decayPct,
  type DeadlineOutcome,
} from './core/deadline-attributes';
export {
  DeadlineMetrics,
  type DeadlineMetricsOptions,
} from './core/deadline-metrics';
export {
  RecentRequests,
  type RecentRequest,
  type RecentRequestsOptions,
} from './core/recent-requests';
export { waterfallOf, type WaterfallBar } from './core/waterfall';
export { DeadlineSpanProcessor } from './otel/deadline-span.processor';

// Nest adapters
export {
  TelemetryModule,
  type TelemetryModuleOptions,
} from './nest/telemetry.module';
export { TraceContextModule } from './nest/trace-context.module';
export { TraceContextInterceptor } from './nest/trace-context.interceptor';
export {
  DeadlineSpanInterceptor,
  type DeadlineSpanInterceptorOptions,
  type ScopeView,
} from './nest/deadline-span.interceptor';
export {
  requestEndHook,
  attributesOf,
  type RequestEndHookOptions,
} from './nest/request-end.hook';
export { MetricsController } from './nest/metrics.controller';
export {
  TracerController,
  type RequestSummary,
  type RequestDetail,
} from './nest/tracer.controller';
