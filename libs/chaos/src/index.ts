// Fault injection, ChaosBlade- and Toxiproxy-style: handler faults per gRPC method, and a TCP fault proxy.
// User-facing API first; framework-free core, then gRPC (grpc-js internals), then the Nest adapters.

// Core (no framework)
export {
  parseFaultSpec,
  describeFault,
  FAULT_KINDS,
  GRPC_STATUS_NAMES,
  type FaultSpec,
  type FaultKind,
} from './core/fault-spec.js';
export {
  FaultRegistry,
  TooManyFaultsError,
  type FaultSnapshot,
  type FaultLease,
  type FaultEvent,
  type FaultRegistryOptions,
  type MethodLoad,
} from './core/fault-registry.js';
export { injectFault, type InjectOptions } from './core/inject-fault.js';
export {
  FaultProxy,
  type FaultProxyOptions,
  type NetworkFaults,
  type FaultProxyStats,
} from './core/fault-proxy.js';
export { InjectedFaultError } from './core/injected-fault.error.js';
export { CallDroppedError } from './core/call-dropped.error.js';

// gRPC (grpc-js)
export { dropCall } from './grpc/drop-call.js';
export { chaosStep, type ChaosStepOptions } from './grpc/chaos.server-step.js';

// Nest adapters
export { ChaosModule } from './nest/chaos.module.js';
export { ChaosInterceptor } from './nest/chaos.interceptor.js';
export { ChaosController } from './nest/chaos.controller.js';
export {
  CHAOS_MODULE_OPTIONS,
  type ChaosModuleOptions,
} from './nest/chaos.options.js';
