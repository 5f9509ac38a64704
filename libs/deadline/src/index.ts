// Deadline Relay's deadline library: one request's deadline, end to end.
// User-facing API first; framework-free core, then gRPC (grpc-js), then the Nest adapters.

// Core (no framework)
export {
  Deadline,
  type DeadlineOptions,
  type ChildBudgetOptions,
} from './core/deadline';
export {
  currentDeadline,
  currentScope,
  runInScope,
  runWithDeadline,
} from './core/deadline-context';
export { DeadlineScope } from './core/deadline-scope';
export { DeadlineExceededError } from './core/deadline-exceeded.error';
export { CancelledError } from './core/cancelled.error';
export { InvalidTimeoutError } from './core/invalid-timeout.error';
export { DomainError } from './core/domain.error';
export { GrpcStatus } from './core/grpc-status';
export {
  httpStatusFromGrpc,
  grpcStatusFromHttp,
  statusOf,
  type StatusOutcome,
} from './core/status-map';
export {
  parseGrpcTimeout,
  formatGrpcTimeout,
  GRPC_TIMEOUT_HEADER,
  MAX_GRPC_TIMEOUT_MS,
} from './core/grpc-timeout';
export {
  parseTimeoutMs,
  REQUEST_TIMEOUT_HEADER,
  REQUEST_TIMEOUT_QUERY,
  ENVOY_TIMEOUT_HEADER,
} from './core/request-timeout';
export {
  resolveBudget,
  validateBudgetPolicy,
  type BudgetPolicy,
  type BudgetSource,
  type ResolvedBudget,
} from './core/budget-policy';
export { formatHopTable } from './core/hop-table';
export {
  type HopRecord,
  type HopOutcome,
  HOPS_METADATA_KEY,
  encodeHops,
  decodeHops,
  outcomeOf,
} from './core/hop-record';
export { linkSignals, type LinkedSignal } from './core/link-signals';
export { delay } from './core/delay';
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
} from './core/lost-deadline';
export { type Clock, type TimerHandle, systemClock } from './core/clock';
export { ManualClock } from './core/manual-clock';
export { type Result } from './core/result';

// gRPC (grpc-js, no framework)
export {
  createDeadlineClient,
  type DeadlineClient,
  type DeadlineClientOptions,
  type ClientMiddleware,
  type UnaryInvoker,
  type OutgoingCall,
  type CallOptions,
} from './grpc/deadline-client';
export {
  openServerScope,
  type ServerCallLike,
  type ServerScopeOptions,
} from './grpc/server-scope';
export { toGrpcError, hopsMetadata } from './grpc/grpc-error';
export {
  DownstreamError,
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './grpc/downstream.error';
export { HOP_METADATA_KEY } from './grpc/metadata-keys';

// Nest adapters
export { DeadlineModule } from './nest/deadline.module';
export {
  DEADLINE_MODULE_OPTIONS,
  DEFAULT_BUDGET_POLICY,
  type DeadlineModuleOptions,
  type RequestEndEvent,
} from './nest/deadline.options';
export {
  DeadlineGrpcClientModule,
  InjectGrpcClient,
  grpcClientToken,
  type GrpcClientOptions,
  type GrpcClientAsyncOptions,
} from './nest/grpc-client.module';
export { HttpDeadlineInterceptor } from './nest/http-deadline.interceptor';
export { GrpcDeadlineInterceptor } from './nest/grpc-deadline.interceptor';
export { ErrorMappingFilter } from './nest/error-mapping.filter';
export { httpErrorBody, type HttpErrorBody } from './nest/http-error-body';
export { observeClient, type ObservableClient } from './nest/observe-client';
export { serverTiming } from './nest/server-timing';
export { untilAborted } from './nest/until-aborted';
export { scopeOfRequest } from './nest/request-scope';
