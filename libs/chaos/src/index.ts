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
} from './core/fault-spec';
export {
  FaultRegistry,
  TooManyFaultsError,
  type FaultSnapshot,
  type FaultLease,
  type FaultEvent,
  type FaultRegistryOptions,
  type MethodLoad,
} from './core/fault-registry';
export { injectFault, type InjectOptions } from './core/inject-fault';
export {
  FaultProxy,
  type FaultProxyOptions,
  type NetworkFaults,
  type FaultProxyStats,
} from './core/fault-proxy';
export { InjectedFaultError } from './core/injected-fault.error';
export { CallDroppedError } from './core/call-dropped.error';

// gRPC (grpc-js)
export { dropCall } from './grpc/drop-call';

// Nest adapters
export { ChaosModule } from './nest/chaos.module';
export { ChaosInterceptor } from './nest/chaos.interceptor';
export { ChaosController } from './nest/chaos.controller';
export {
  CHAOS_MODULE_OPTIONS,
  type ChaosModuleOptions,
} from './nest/chaos.options';
