import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';

/** W3C trace context and baggage. The deadline itself travels in grpc-timeout / X-Request-Timeout, never in baggage. */
export const W3C_PROPAGATOR = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

/** W3C trace context alone: for an edge, which takes no baggage from its callers and so sends none on. */
export const TRACE_CONTEXT_PROPAGATOR = new W3CTraceContextPropagator();

/**
 * What light trace context needs of OpenTelemetry's globals: a context manager and the W3C propagator
 * (no tracer). `baggage: 'drop'` leaves W3C baggage out of the propagator: none is read from requests
 * (HTTP headers or gRPC metadata), none is written on outgoing calls.
 */
export function installGlobalContext(
  options: { readonly baggage?: 'propagate' | 'drop' } = {},
): void {
  context.setGlobalContextManager(
    new AsyncLocalStorageContextManager().enable(),
  );
  propagation.setGlobalPropagator(
    options.baggage === 'drop' ? TRACE_CONTEXT_PROPAGATOR : W3C_PROPAGATOR,
  );
}

/** Gives OpenTelemetry's globals back, so telemetry can be started again in this process (tests do). */
export function releaseGlobalContext(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}
