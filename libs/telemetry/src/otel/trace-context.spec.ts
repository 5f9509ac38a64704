import { Metadata } from '@grpc/grpc-js';
import {
  defaultTextMapGetter,
  propagation,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { METADATA_GETTER, METADATA_SETTER } from './metadata-carrier.js';
import {
  installGlobalContext,
  releaseGlobalContext,
} from './global-context.js';
import { continueTrace } from './trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe(continueTrace.name, () => {
  beforeAll(() => installGlobalContext());
  afterAll(releaseGlobalContext);

  it("continues the caller's trace with a span id of its own, keeping the caller's sampled flag", () => {
    for (const flags of ['01', '00']) {
      const span = trace.getSpanContext(
        continueTrace(
          { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-${flags}` },
          defaultTextMapGetter,
        ),
      )!;
      expect(span).toMatchObject({
        traceId: TRACE_ID,
        traceFlags: Number(flags),
      });
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.spanId).not.toBe('00f067aa0ba902b7');
    }
  });

  it.each([
    [{}],
    [{ traceparent: 'garbage' }],
    [{ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }],
    [{ traceparent: `ff-${TRACE_ID}-00f067aa0ba902b7-01` }],
  ])(
    'starts a new, unsampled trace when the caller sent none or a malformed one: %j',
    (headers) => {
      const a = trace.getSpanContext(
        continueTrace(headers, defaultTextMapGetter),
      )!;
      const b = trace.getSpanContext(
        continueTrace(headers, defaultTextMapGetter),
      )!;
      expect(a.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(a.traceId).not.toBe(b.traceId);
      expect(a.traceFlags).toBe(TraceFlags.NONE);
    },
  );

  it('reads gRPC metadata, and what it writes there a downstream reads back, tracestate included', () => {
    const incoming = new Metadata();
    incoming.set('traceparent', `00-${TRACE_ID}-00f067aa0ba902b7-01`);
    incoming.set('tracestate', 'vendor=abc');
    const mine = continueTrace(incoming, METADATA_GETTER);
    const outgoing = new Metadata();
    propagation.inject(mine, outgoing, METADATA_SETTER);
    const downstream = trace.getSpanContext(
      continueTrace(outgoing, METADATA_GETTER),
    )!;
    expect(outgoing.get('traceparent')).toEqual([
      `00-${TRACE_ID}-${trace.getSpanContext(mine)!.spanId}-01`,
    ]);
    expect(downstream.traceId).toBe(TRACE_ID);
    expect(outgoing.get('tracestate')).toEqual(['vendor=abc']);
  });

  it('ignores a binary metadata value where the header should be text', () => {
    const metadata = new Metadata();
    metadata.set('traceparent-bin', Buffer.from('x'));
    expect(METADATA_GETTER.get(metadata, 'traceparent-bin')).toBeUndefined();
  });
});
