import {
  type Context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace';

const ids = new RandomIdGenerator();

/**
 * The W3C trace context of one request in a tier, without spans: the caller's trace continued (or
 * a new one started) and a span id of this tier's own, for its log lines and for the `traceparent`
 * it sends on. This is what the instrumentations would propagate, at a fraction of their cost; it
 * is used when nothing is exported, so no span would be read anyway. The caller's sampled flag and
 * `tracestate` pass on unchanged, so a downstream that does export still follows the caller's
 * decision; a trace started here is unsampled (nothing here records it).
 */
export function continueTrace<C>(
  carrier: C,
  getter: TextMapGetter<C>,
): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, carrier, getter);
  const parent = trace.getSpanContext(extracted);
  const valid = parent !== undefined && isSpanContextValid(parent);
  return trace.setSpanContext(extracted, {
    traceId: valid ? parent.traceId : ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: valid ? parent.traceFlags : TraceFlags.NONE,
    ...(valid && parent.traceState ? { traceState: parent.traceState } : {}),
  });
}
