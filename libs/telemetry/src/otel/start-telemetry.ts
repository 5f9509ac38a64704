import { propagation } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { DeadlineSpanProcessor } from './deadline-span.processor';
import { setTelemetry, Telemetry } from './telemetry';

/** Names for `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (as in `@opentelemetry/auto-instrumentations-node`). */
const INSTRUMENTATIONS = ['http', 'grpc', 'nestjs-core'];

export interface StartTelemetryOptions {
  /** `service.name` of the spans and the `tier` label of the metrics. */
  readonly service: string;
  /** Environment to read `OTEL_SDK_DISABLED`, `OTEL_EXPORTER_OTLP_*` and `TRACER_RECENT_REQUESTS` from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Sets up tracing and metrics for this process. Call it before anything requires `@grpc/grpc-js`
 * or starts an HTTP server: the instrumentations patch those modules as they load.
 *
 * Tracing follows the standard switches: `OTEL_SDK_DISABLED=true` turns spans off (metrics and the
 * recent-request buffer stay); `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) exports them
 * over OTLP/HTTP; with no endpoint, spans still carry trace context and ids for the logs.
 */
export function startTelemetry(options: StartTelemetryOptions): Telemetry {
  const env = options.env ?? process.env;
  const recentRequests = positiveInt(env.TRACER_RECENT_REQUESTS, 'TRACER_RECENT_REQUESTS', 200);
  const disabled = new Set((env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '').split(',').map((name) => name.trim()).filter(Boolean));
  const unknown = [...disabled].filter((name) => !INSTRUMENTATIONS.includes(name));
  if (unknown.length) throw new Error(`invalid environment:\n  OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown ${unknown.join(', ')} (known: ${INSTRUMENTATIONS.join(', ')})`);
  if (isTrue(env.OTEL_SDK_DISABLED, 'OTEL_SDK_DISABLED')) {
    const value = new Telemetry(options.service, { recentRequests });
    setTelemetry(value);
    return value;
  }

  const deadlineSpans = new DeadlineSpanProcessor();
  const processors: SpanProcessor[] = [deadlineSpans];
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.service }), spanProcessors: processors });
  // The deadline itself travels in grpc-timeout / X-Request-Timeout, never in baggage.
  provider.register({ propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }) });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      disabled.has('http') ? undefined : new HttpInstrumentation(),
      disabled.has('grpc') ? undefined : new GrpcInstrumentation(),
      disabled.has('nestjs-core') ? undefined : new NestInstrumentation(),
    ].filter((i) => i !== undefined),
  });
  const value = new Telemetry(options.service, { recentRequests }, deadlineSpans, async () => {
    unregister();
    await provider.shutdown();
    propagation.disable();
  });
  setTelemetry(value);
  return value;
}

function isTrue(raw: string | undefined, name: string): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new Error(`invalid environment:\n  ${name}: "${raw}" is not true/false`);
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 100_000) throw new Error(`invalid environment:\n  ${name}: "${raw}" is not a whole number in 1..100000`);
  return Number(raw);
}
