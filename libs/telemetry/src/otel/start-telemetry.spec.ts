import {
  context,
  defaultTextMapGetter,
  propagation,
  trace,
} from '@opentelemetry/api';
import { continueTrace } from './trace-context.js';
import { startTelemetry } from './start-telemetry.js';
import { telemetry } from './telemetry.js';

describe(startTelemetry.name, () => {
  it('keeps metrics and the recent-request buffer but records no spans when OTEL_SDK_DISABLED=true', () => {
    const sut = startTelemetry({
      service: 'gateway',
      env: { OTEL_SDK_DISABLED: 'true', TRACER_RECENT_REQUESTS: '7' },
    });
    expect(sut.traceContext).toBe('none');
    expect(sut.recent.capacity).toBe(7);
    expect(telemetry()).toBe(sut);
  });

  it('refuses a switch that is not true/false', () => {
    expect(() =>
      startTelemetry({
        service: 'gateway',
        env: { OTEL_SDK_DISABLED: 'maybe' },
      }),
    ).toThrow(
      'invalid environment:\n  OTEL_SDK_DISABLED: "maybe" is not true/false',
    );
  });

  it('refuses a buffer size that is not a positive whole number', () => {
    expect(() =>
      startTelemetry({
        service: 'gateway',
        env: { OTEL_SDK_DISABLED: 'true', TRACER_RECENT_REQUESTS: '0' },
      }),
    ).toThrow('TRACER_RECENT_REQUESTS: "0" is not a whole number in 1..100000');
  });

  it('refuses an instrumentation it does not know, naming the ones it does', () => {
    expect(() =>
      startTelemetry({
        service: 'gateway',
        env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,express' },
      }),
    ).toThrow(
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown express (known: http, grpc, nestjs-core)',
    );
  });
});

describe(`${startTelemetry.name} with the SDK on`, () => {
  it('with nothing to export to, records no spans yet carries trace context', async () => {
    const sut = startTelemetry({ service: 'gateway', env: {} });
    try {
      expect(sut.spans).toBeUndefined();
      expect(sut.traceContext).toBe('light');
      // No SDK tracer: nothing can start a recording span.
      expect(trace.getTracer('test').startSpan('request').isRecording()).toBe(
        false,
      );
      // The W3C propagator and context manager are in place for TraceContextModule and deadlineTracing.
      const carrier: Record<string, string> = {};
      const request = continueTrace(
        {
          traceparent:
            '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
        defaultTextMapGetter,
      );
      context.with(request, () =>
        propagation.inject(context.active(), carrier),
      );
      expect(carrier.traceparent).toMatch(
        /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
      );
    } finally {
      await sut.shutdown();
    }
  });

  it('records spans when they have somewhere to go', async () => {
    const sut = startTelemetry({
      service: 'gateway',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    });
    try {
      expect(sut.spans).toBeDefined();
      expect(sut.traceContext).toBe('instrumented');
      // Left open: an ended span would be exported on shutdown (test/telemetry.e2e-spec.ts covers export).
      expect(trace.getTracer('test').startSpan('request').isRecording()).toBe(
        true,
      );
    } finally {
      await sut.shutdown();
    }
  });

  it.each([
    ['propagate', 'tier=gold'],
    ['drop', undefined],
  ] as const)(
    'with baggage: %s, passes a caller’s baggage on as %j, trace context either way',
    async (baggage, forwarded) => {
      const sut = startTelemetry({ service: 'gateway', env: {}, baggage });
      try {
        const request = continueTrace(
          {
            traceparent:
              '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
            baggage: 'tier=gold',
          },
          defaultTextMapGetter,
        );
        const carrier: Record<string, string> = {};
        context.with(request, () =>
          propagation.inject(context.active(), carrier),
        );
        expect(carrier.baggage).toBe(forwarded);
        expect(carrier.traceparent).toMatch(
          /^00-4bf92f3577b34da6a3ce929d0e0e4736-/,
        );
      } finally {
        await sut.shutdown();
      }
    },
  );

  it('refuses a sampler the SDK does not implement before setting anything up', () => {
    expect(() =>
      startTelemetry({
        service: 'gateway',
        env: { OTEL_TRACES_SAMPLER: 'xray' },
      }),
    ).toThrow('OTEL_TRACES_SAMPLER: "xray" is not one of');
  });

  it('refuses a batch setting the SDK would no longer read, even with nothing to export to yet', () => {
    expect(() =>
      startTelemetry({
        service: 'gateway',
        env: { OTEL_BSP_SCHEDULE_DELAY: '1s' },
      }),
    ).toThrow(
      'OTEL_BSP_SCHEDULE_DELAY: "1s" is not a whole number in 0..2147483647',
    );
  });
});
