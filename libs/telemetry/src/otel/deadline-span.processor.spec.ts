import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  TracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { DeadlineSpanProcessor } from './deadline-span.processor.js';
import {
  OUTGOING_CALL,
  type OutgoingCallInfo,
} from './outgoing-call.context.js';

describe(DeadlineSpanProcessor.name, () => {
  let sut: DeadlineSpanProcessor;
  let exporter: InMemorySpanExporter;
  let provider: TracerProvider;
  const tracer = () => provider.getTracer('spec');
  const call = (
    overrides: Partial<OutgoingCallInfo> = {},
  ): OutgoingCallInfo => ({
    downstream: 'payment',
    method: 'Charge',
    hop: 2,
    budgetMs: 180,
    remainingStartMs: 200,
    reserveMs: 10,
    remainingMs: () => 120,
    ...overrides,
  });

  beforeEach(() => {
    sut = new DeadlineSpanProcessor();
    exporter = new InMemorySpanExporter();
    provider = new TracerProvider({
      spanProcessors: [sut, new SimpleSpanProcessor({ exporter })],
    });
  });

  afterEach(() => provider.shutdown());

  it("puts the call's budget and the caller's time left on a client span started under the middleware", () => {
    const span = tracer().startSpan(
      'grpc.payment.v1.PaymentService/Charge',
      { kind: SpanKind.CLIENT },
      ROOT_CONTEXT.setValue(OUTGOING_CALL, call()),
    );
    span.setAttribute('rpc.grpc.status_code', 0);
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes).toEqual({
      'rpc.grpc.status_code': 0,
      'deadline.budget.forwarded_ms': 180,
      'deadline.reserve_ms': 10,
      'deadline.hop': 2,
      'deadline.budget.received_ms': 200,
      'deadline.remaining.start_ms': 200,
      'deadline.decay_pct': 10,
      'deadline.remaining.end_ms': 120,
      'deadline.outcome': 'ok',
    });
  });

  it('reports a call cancelled because the caller ran out of time as deadline exceeded', () => {
    const span = tracer().startSpan(
      'c',
      { kind: SpanKind.CLIENT },
      ROOT_CONTEXT.setValue(OUTGOING_CALL, call({ remainingMs: () => -0.4 })),
    );
    span.setAttribute('rpc.grpc.status_code', 1);
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({
      'deadline.outcome': 'deadline_exceeded',
      'deadline.remaining.end_ms': 0,
      'error.type': 'deadline_exceeded',
    });
  });

  it('marks a client span made with no deadline in scope', () => {
    const span = tracer().startSpan(
      'c',
      { kind: SpanKind.CLIENT },
      ROOT_CONTEXT.setValue(
        OUTGOING_CALL,
        call({ remainingStartMs: null, remainingMs: () => null }),
      ),
    );
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({
      'deadline.missing': true,
    });
    expect(
      exporter.getFinishedSpans()[0].attributes['deadline.remaining.end_ms'],
    ).toBeUndefined();
  });

  it('leaves client spans started outside the middleware alone', () => {
    tracer().startSpan('other', { kind: SpanKind.CLIENT }).end();
    expect(exporter.getFinishedSpans()[0].attributes).toEqual({});
  });

  it('marks a server span that ended before its handler with the status it sent', () => {
    const span = tracer().startSpan('s', { kind: SpanKind.SERVER });
    span.setAttribute('rpc.grpc.status_code', 4);
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({
      'deadline.outcome': 'deadline_exceeded',
      'deadline.remaining.end_ms': 0,
      'error.type': 'deadline_exceeded',
    });
  });

  it('keeps the outcome in error.type over the status code the HTTP instrumentation writes as the response finishes', () => {
    const span = tracer().startSpan('POST /orders', { kind: SpanKind.SERVER });
    // The request-end hook, then instrumentation-http on 'finish', just before it ends the span.
    span.setAttributes({
      'deadline.outcome': 'deadline_exceeded',
      'error.type': 'deadline_exceeded',
    });
    span.setAttributes({
      'http.response.status_code': 504,
      'error.type': '504',
    });
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({
      'deadline.outcome': 'deadline_exceeded',
      'error.type': 'deadline_exceeded',
      'http.response.status_code': 504,
    });
  });

  it("leaves the instrumentation's error.type on a server span whose request ended ok", () => {
    const span = tracer().startSpan('GET /health', { kind: SpanKind.SERVER });
    span.setAttributes({ 'deadline.outcome': 'ok', 'error.type': '503' });
    span.end();
    expect(exporter.getFinishedSpans()[0].attributes['error.type']).toBe('503');
  });

  it('finds the server span of a span nested below it, and forgets it once ended', () => {
    const server = tracer().startSpan('s', { kind: SpanKind.SERVER });
    const handler = tracer().startSpan(
      'handler',
      {},
      trace.setSpan(ROOT_CONTEXT, server),
    );
    expect(sut.serverSpanOf(handler.spanContext().spanId)).toBe(server);
    handler.end();
    server.end();
    expect(sut.serverSpanOf(server.spanContext().spanId)).toBeUndefined();
  });
});
