import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { batchSettingsFromEnv } from './batch-settings.js';
import { DeadlineSpanProcessor } from './deadline-span.processor.js';
import {
  installGlobalContext,
  releaseGlobalContext,
} from './global-context.js';
import { samplerFromEnv } from './sampler.js';
import { setTelemetry, Telemetry } from './telemetry.js';

/**
 * Names for `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (as in `@opentelemetry/auto-instrumentations-node`).
 * `nestjs-core` is still accepted but has nothing to turn off: no released
 * `@opentelemetry/instrumentation-nestjs-core` (0.71.0 is the latest) patches Nest 12, so none is loaded
 * (see the README).
 */
const INSTRUMENTATIONS = ['http', 'grpc', 'nestjs-core'];

export interface StartTelemetryOptions {
  /** `service.name` of the spans and the `tier` label of the metrics. */
  readonly service: string;
  /** Environment to read `OTEL_SDK_DISABLED`, `OTEL_EXPORTER_OTLP_*`, `OTEL_TRACES_SAMPLER*` and `TRACER_RECENT_REQUESTS` from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * W3C `baggage`: `propagate` reads it from each request and sends it on with every call the request
   * makes; `drop` does neither. An edge drops it: a client's baggage is untrusted input that would
   * otherwise reach every tier behind it, verbatim. (`traceparent`/`tracestate` still travel.)
   * @default 'propagate'
   */
  readonly baggage?: 'propagate' | 'drop';
}

/**
 * Sets up tracing and metrics for this process. Call it before anything requires `@grpc/grpc-js`
 * or starts an HTTP server: the instrumentations patch those modules as they load.
 *
 * Tracing follows the standard switches: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`)
 * turns on the HTTP and gRPC instrumentations and exports their spans over OTLP/HTTP, with
 * `OTEL_TRACES_SAMPLER` / `…_ARG` choosing which traces and `OTEL_BSP_*` how they are batched (SDK 3
 * reads neither itself); `OTEL_SDK_DISABLED=true` turns tracing off
 * (metrics and the recent-request buffer stay). With no endpoint no span would be read, so the
 * instrumentations (which cost CPU on every request, recorded or not) stay out: the W3C trace
 * context still travels, carried by `TraceContextModule` and `deadlineTracing`, and each request's
 * log line keeps its trace and span ids.
 */
export function startTelemetry(options: StartTelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const recentRequests = positiveInt(
    env.TRACER_RECENT_REQUESTS,
    'TRACER_RECENT_REQUESTS',
    200,
  );
  const disabled = new Set(
    (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const unknown = [...disabled].filter(
    (name) => !INSTRUMENTATIONS.includes(name),
  );
  if (unknown.length)
    throw new Error(
      `invalid environment:\n  OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown ${unknown.join(', ')} (known: ${INSTRUMENTATIONS.join(', ')})`,
    );
  if (isTrue(env.OTEL_SDK_DISABLED, 'OTEL_SDK_DISABLED')) {
    const value = new Telemetry(options.service, { recentRequests });
    setTelemetry(value);
    return value;
  }

  const exporting = Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  );
  // Checked either way: a wrong value is refused now, not when someone sets an endpoint.
  const { sampler } = samplerFromEnv(env);
  const batch = batchSettingsFromEnv(env);
  const globals = { baggage: options.baggage ?? 'propagate' } as const;
  if (!exporting) {
    installGlobalContext(globals);
    const value = new Telemetry(
      options.service,
      { recentRequests, lightTraceContext: true },
      undefined,
      async () => releaseGlobalContext(),
    );
    setTelemetry(value);
    return value;
  }

  const deadlineSpans = new DeadlineSpanProcessor();
  const processors: SpanProcessor[] = [
    deadlineSpans,
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batch }),
  ];
  // SDK 3 has no NodeTracerProvider.register(): the context manager and propagator are the same
  // globals the light mode installs, plus the tracer provider.
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }),
    sampler,
    spanProcessors: processors,
  });
  installGlobalContext(globals);
  trace.setGlobalTracerProvider(provider);
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      disabled.has('http') ? undefined : new HttpInstrumentation(),
      disabled.has('grpc') ? undefined : new GrpcInstrumentation(),
    ].filter((i) => i !== undefined),
  });
  const value = new Telemetry(
    options.service,
    { recentRequests },
    deadlineSpans,
    async () => {
      unregister();
      await provider.shutdown();
      releaseGlobalContext();
    },
  );
  setTelemetry(value);
  return value;
}

function isTrue(raw: string | undefined, name: string): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new Error(
    `invalid environment:\n  ${name}: "${raw}" is not true/false`,
  );
}

function positiveInt(
  raw: string | undefined,
  name: string,
  fallback: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 100_000)
    throw new Error(
      `invalid environment:\n  ${name}: "${raw}" is not a whole number in 1..100000`,
    );
  return Number(raw);
}
