import { Metadata } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  DeadlineExceededError,
  DownstreamError,
  GrpcStatus,
  type OutgoingCall,
  type UnaryResponse,
} from '@lib/deadline';
import {
  deadlineTracing,
  isBreakerOpen,
} from './deadline-tracing.middleware.js';
import {
  OUTGOING_CALL,
  type OutgoingCallInfo,
} from './outgoing-call.context.js';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { DeadlineSpanProcessor } from './deadline-span.processor.js';
import {
  installGlobalContext,
  releaseGlobalContext,
} from './global-context.js';
import { Telemetry } from './telemetry.js';

const reply: UnaryResponse = {
  message: 'reply',
  header: new Metadata(),
  trailer: new Metadata(),
};

const outgoing = (): OutgoingCall =>
  ({
    service: 'payment',
    method: 'Charge',
    request: {},
    metadata: { get: () => ['2'] },
    budgetMs: 100,
    signal: new AbortController().signal,
  }) as unknown as OutgoingCall;

describe(deadlineTracing.name, () => {
  beforeAll(() => installGlobalContext());
  afterAll(releaseGlobalContext);

  const tracing = new Telemetry(
    'order',
    { processMetrics: false },
    new DeadlineSpanProcessor(),
  );
  /** The caller's server span, recorded (sampled) or not. */
  const underSpan = <T>(
    recording: boolean,
    fn: () => Promise<T>,
  ): Promise<T> => {
    const span = recording
      ? new TracerProvider().getTracer('test').startSpan('PlaceOrder')
      : trace.wrapSpanContext({
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: 0,
        });
    return context.with(trace.setSpan(ROOT_CONTEXT, span), fn);
  };

  it("hands the call's budget, hop and the caller's time left to whatever runs inside it", async () => {
    let seen: OutgoingCallInfo | undefined;
    const invoke = deadlineTracing({
      remainingMs: () => 120,
      reserveMs: 10,
      telemetry: tracing,
    })(async () => {
      seen = context.active().getValue(OUTGOING_CALL) as OutgoingCallInfo;
      return reply;
    });
    await expect(underSpan(true, () => invoke(outgoing()))).resolves.toBe(
      reply,
    );
    expect(seen).toMatchObject({
      downstream: 'payment',
      method: 'Charge',
      hop: 2,
      budgetMs: 100,
      remainingStartMs: 120,
      reserveMs: 10,
    });
  });

  it('leaves a call of a trace the sampler dropped alone: its client span is not recorded either', async () => {
    let seen: unknown = 'unset';
    const invoke = deadlineTracing({
      remainingMs: () => 120,
      telemetry: tracing,
    })(async () => {
      seen = context.active().getValue(OUTGOING_CALL);
      return reply;
    });
    await expect(underSpan(false, () => invoke(outgoing()))).resolves.toBe(
      reply,
    );
    expect(seen).toBeUndefined();
  });

  it('passes calls straight through when tracing is off', async () => {
    let seen: unknown = 'unset';
    const invoke = deadlineTracing({
      remainingMs: () => 120,
      telemetry: new Telemetry('order', { processMetrics: false }),
    })(async () => {
      seen = context.active().getValue(OUTGOING_CALL);
      return reply;
    });
    await invoke(outgoing());
    expect(seen).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it("writes the request's traceparent on the call with light trace context, and nothing else", async () => {
    const light = new Telemetry('order', {
      processMetrics: false,
      lightTraceContext: true,
    });
    const call = { ...outgoing(), metadata: new Metadata() } as OutgoingCall;
    const request = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    let seen: unknown = 'unset';
    await context.with(request, () =>
      deadlineTracing({ remainingMs: () => 120, telemetry: light })(
        async () => {
          seen = context.active().getValue(OUTGOING_CALL);
          return reply;
        },
      )(call),
    );
    expect(call.metadata.get('traceparent')).toEqual([
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ]);
    expect(seen).toBeUndefined();
  });

  it("passes the downstream's failure through unchanged", async () => {
    const failure = new Error('down');
    const invoke = deadlineTracing({
      remainingMs: () => 50,
      telemetry: tracing,
    })(() => Promise.reject(failure));
    await expect(underSpan(true, () => invoke(outgoing()))).rejects.toBe(
      failure,
    );
  });
});

describe(isBreakerOpen.name, () => {
  it.each([
    [{ code: GrpcStatus.UNAVAILABLE, reason: 'breaker_open' }, true],
    [
      new DownstreamError(
        GrpcStatus.UNAVAILABLE,
        'breaker_open',
        'x',
        'a',
        'B',
      ),
      false,
    ],
    [{ code: GrpcStatus.UNAVAILABLE, reason: 'bulkhead_full' }, false],
    [new DeadlineExceededError(), false],
    [undefined, false],
  ])('says %j is a breaker refusal: %s', (error, expected) => {
    expect(isBreakerOpen(error)).toBe(expected);
  });
});
