// Deadline Relay's deadline library: one request's deadline, end to end.
// User-facing API first; framework-free core, then gRPC (grpc-js), then the Nest adapters.

// Core (no framework)
export {
  Deadline,
  type DeadlineOptions,
  type ChildBudgetOptions,
} from './core/deadline.js';
export {
  currentDeadline,
  currentScope,
  runInScope,
  runWithDeadline,
} from './core/deadline-context.js';
export { DeadlineScope } from './core/deadline-scope.js';
export { DeadlineExceededError } from './core/deadline-exceeded.error.js';
export { CancelledError } from './core/cancelled.error.js';
export { InvalidTimeoutError } from './core/invalid-timeout.error.js';
export { DomainError } from './core/domain.error.js';
export { InvalidBodyError } from './core/invalid-body.error.js';
export { PayloadTooLargeError } from './core/payload-too-large.error.js';
export { UnsupportedMediaTypeError } from './core/unsupported-media-type.error.js';
export { GrpcStatus } from './core/grpc-status.js';
export { failureOf, type Failure, type FailureOrigin } from './core/failure.js';
export {
  DownstreamError,
  type ResponseMetadata,
} from './core/downstream.error.js';
export {
  httpStatusFromGrpc,
  grpcStatusFromHttp,
  genericCode,
} from './core/status-map.js';
export {
  parseGrpcTimeout,
  formatGrpcTimeout,
  GRPC_TIMEOUT_HEADER,
  MAX_GRPC_TIMEOUT_MS,
} from './core/grpc-timeout.js';
export {
  parseTimeoutMs,
  REQUEST_TIMEOUT_HEADER,
  REQUEST_TIMEOUT_QUERY,
  ENVOY_TIMEOUT_HEADER,
} from './core/request-timeout.js';
export {
  resolveBudget,
  validateBudgetPolicy,
  type BudgetPolicy,
  type BudgetSource,
  type ResolvedBudget,
} from './core/budget-policy.js';
export {
  readJsonBody,
  planBody,
  hasBody,
  bodyUnread,
  validateJsonBodyOptions,
  CONTENT_ENCODINGS,
  DEFAULT_JSON_BODY_OPTIONS,
  type JsonBodyOptions,
  type ContentEncoding,
  type BodySource,
  type BodyPlan,
  type BodyError,
} from './core/read-json-body.js';
export {
  httpServerTimeouts,
  type HttpServerTimeouts,
} from './core/server-timeouts.js';
export { formatHopTable } from './core/hop-table.js';
export {
  type HopRecord,
  type HopOutcome,
  HOPS_METADATA_KEY,
  MAX_REPLICA_LENGTH,
  encodeHops,
  decodeHops,
} from './core/hop-record.js';
export {
  linkSignals,
  NEVER_ABORTS,
  type LinkedSignal,
} from './core/link-signals.js';
export { delay } from './core/delay.js';
export { abortable } from './core/abortable.js';
export { type RequestEndEvent } from './core/request-end-event.js';
export {
  reportLostDeadline,
  configureLostDeadlineGuard,
  onLostDeadline,
  lostDeadlineCount,
  lostDeadlineStrict,
  LostDeadlineError,
  type LostDeadline,
  type LostDeadlineListener,
  type LostDeadlineGuardOptions,
} from './core/lost-deadline.js';
export { StreamIdleError } from './core/stream-idle.error.js';
export { SlowConsumerError } from './core/slow-consumer.error.js';
export { emitInScope } from './core/emit-in-scope.js';
export { ServerDrainingError } from './core/server-draining.error.js';
export { IdleTimer } from './core/idle-timer.js';
export {
  type StreamRecord,
  type StreamEnd,
  type StreamKind,
  streamEndOf,
} from './core/stream-record.js';
export { openStreams, type OpenStreams } from './core/stream-census.js';
export {
  trackOpenStream,
  openStreamCount,
  endOpenStreams,
  type StreamEnder,
} from './core/open-streams.js';
export { type Clock, type TimerHandle, systemClock } from './core/clock.js';
export { ManualClock } from './core/manual-clock.js';
export { type Result } from './core/result.js';

// gRPC (grpc-js, no framework)
export {
  createDeadlineClient,
  type DeadlineClient,
  type DeadlineClientOptions,
  type CallOptions,
} from './grpc/deadline-client.js';
export {
  composeClient,
  type ClientMiddleware,
  type UnaryInvoker,
  type UnaryResponse,
  type OutgoingCall,
} from './grpc/client-middleware.js';
export {
  propagateDeadline,
  type PropagateDeadlineOptions,
} from './grpc/propagate-deadline.js';
export { fixedTimeout } from './grpc/fixed-timeout.js';
export { collectHops } from './grpc/collect-hops.js';
export { unaryTransport } from './grpc/unary-transport.js';
export {
  serverDeadline,
  type ServerDeadlineOptions,
} from './grpc/server-deadline.js';
export {
  runServerSteps,
  type ServerStep,
  type ServerNext,
  type IncomingCall,
  type ServerUnaryCallLike,
} from './grpc/server-step.js';
export {
  createStreamClient,
  type StreamClient,
  type StreamClientOptions,
  type StreamCallOptions,
  type StreamStartGuard,
  type StreamLimit,
  type StreamAttempt,
} from './grpc/stream-client.js';
export { registerStreamMethods, streamKindOf } from './grpc/stream-methods.js';
export {
  openServerScope,
  type ServerCallLike,
  type ServerScopeOptions,
} from './grpc/server-scope.js';
export { toGrpcError, hopsMetadata } from './grpc/grpc-error.js';
export {
  HOP_METADATA_KEY,
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './grpc/metadata-keys.js';

// Nest adapters
export { DeadlineModule } from './nest/deadline.module.js';
export {
  DEADLINE_MODULE_OPTIONS,
  DEFAULT_BUDGET_POLICY,
  DEFAULT_STREAM_BUDGET_POLICY,
  type DeadlineModuleOptions,
} from './nest/deadline.options.js';
export {
  DeadlineGrpcClientModule,
  InjectGrpcClient,
  grpcClientToken,
  InjectGrpcStreams,
  grpcStreamsToken,
  type GrpcClientOptions,
  type GrpcClientAsyncOptions,
} from './nest/grpc-client.module.js';
export { HttpDeadlineInterceptor } from './nest/http-deadline.interceptor.js';
export { GrpcPipelineInterceptor } from './nest/grpc-pipeline.interceptor.js';
export { serveSteps } from './nest/serve-steps.js';
export {
  interceptGrpcStream,
  isGrpcStreamCall,
  type GrpcStreamCall,
  type GrpcStreamDeadlineOptions,
} from './nest/grpc-stream-deadline.js';
export { ErrorMappingFilter } from './nest/error-mapping.filter.js';
export { DeadlineSse } from './nest/deadline-sse.decorator.js';
export {
  interceptEventStream,
  type SseEvent,
  type SseDeadlineOptions,
} from './nest/sse-deadline.js';
export {
  httpErrorBody,
  type HttpErrorBody,
  type HttpErrorBodyOptions,
} from './nest/http-error-body.js';
export { observeClient, type ObservableClient } from './nest/observe-client.js';
export { observeStream } from './nest/observe-stream.js';
export { serverTiming } from './nest/server-timing.js';
export { untilAborted } from './nest/until-aborted.js';
export { scopeOfRequest } from './nest/request-scope.js';
