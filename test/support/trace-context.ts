import { randomBytes } from 'node:crypto';

/** A caller's sampled W3C trace: a fresh trace id under a fixed parent span id, and its `traceparent` header. */
export function callerTrace(): {
  readonly traceId: string;
  readonly parentSpanId: string;
  readonly traceparent: string;
} {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = '00f067aa0ba902b7';
  return {
    traceId,
    parentSpanId,
    traceparent: `00-${traceId}-${parentSpanId}-01`,
  };
}
