import { context, propagation, trace } from '@opentelemetry/api';
import { type ClientMiddleware, failureOf } from '@lib/deadline';
import { DeadlineAttr } from '../core/deadline-attributes.js';
import {
  OUTGOING_CALL,
  type OutgoingCallInfo,
} from './outgoing-call.context.js';
import { METADATA_SETTER } from './metadata-carrier.js';
import { telemetry as processTelemetry, type Telemetry } from './telemetry.js';

export interface DeadlineTracingOptions {
  /** The caller's time left, ms, or `undefined` with no deadline in scope (e.g. `() => currentDeadline()?.remaining()`). */
  readonly remainingMs: () => number | undefined;
  /** Reserve this client keeps back, recorded on the span. @default 0 */
  readonly reserveMs?: number;
  /** @default the process's telemetry */
  readonly telemetry?: Telemetry;
}

const HOP_KEY = 'x-deadline-hop';

/**
 * Client middleware: hands the call's budget and the caller's time left to the gRPC client span
 * the instrumentation starts inside `next` (see `DeadlineSpanProcessor`). Put it outermost, so a
 * breaker that refuses the call is seen too. With light trace context (no instrumentation) it
 * writes the request's `traceparent` on the call instead. (Calls with no deadline are counted by
 * the lost-deadline guard's listener, not here: in strict mode they never reach the middleware.)
 */
export function deadlineTracing(
  options: DeadlineTracingOptions,
): ClientMiddleware {
  const { remainingMs, reserveMs = 0 } = options;
  return (next) => {
    // Once per client method (clients are built after startTelemetry()), not per call.
    const t = options.telemetry ?? processTelemetry();
    return async (call) => {
      if (t.traceContext === 'light') {
        propagation.inject(context.active(), call.metadata, METADATA_SETTER);
        return next(call);
      }
      // Under a span that is not recorded (tracing off, or a trace the sampler dropped) the client span
      // is not recorded either: nothing to annotate.
      if (!t.spans || !trace.getActiveSpan()?.isRecording()) return next(call);
      const remainingStart = remainingMs();

      const hop = Number(call.metadata.get(HOP_KEY)[0]);
      const info: OutgoingCallInfo = {
        downstream: call.service,
        method: call.method,
        hop: Number.isInteger(hop) ? hop : undefined,
        budgetMs: call.budgetMs,
        remainingStartMs: remainingStart ?? null,
        reserveMs,
        remainingMs: () => remainingMs() ?? null,
      };
      try {
        return await context.with(
          context.active().setValue(OUTGOING_CALL, info),
          () => next(call),
        );
      } catch (error) {
        if (isBreakerOpen(error)) {
          // The call never reached the wire, so no client span exists: note it on the caller's span.
          trace.getActiveSpan()?.addEvent('deadline.breaker_open', {
            [DeadlineAttr.OUTCOME]: 'breaker_open',
            'rpc.service': call.service,
            'rpc.method': call.method,
          });
        }
        throw error;
      }
    };
  };
}

/** A breaker in this process refused the call (`breaker_open`), as opposed to a downstream reporting its own open breaker. */
export function isBreakerOpen(error: unknown): boolean {
  const failure = failureOf(error);
  return failure.origin === 'local' && failure.code === 'breaker_open';
}
