import { DeadlineMetrics } from '../core/deadline-metrics.js';
import { RecentRequests } from '../core/recent-requests.js';
import type { DeadlineSpanProcessor } from './deadline-span.processor.js';

/**
 * How W3C trace context travels through this process: `instrumented` — the OpenTelemetry
 * instrumentations carry it and record spans (an exporter is set); `light` — this library's
 * interceptor and client middleware carry it, no spans (nothing is exported); `none` — not at all
 * (`OTEL_SDK_DISABLED=true`).
 */
export type TraceContextMode = 'instrumented' | 'light' | 'none';

export interface TelemetryOptions {
  readonly recentRequests?: number;
  readonly processMetrics?: boolean;
  /** Without span processing: carry W3C trace context with this library's light interceptor and middleware. @default false */
  readonly lightTraceContext?: boolean;
}

/** One process's telemetry: its metrics, its recent requests (edge), and how its traces travel. */
export class Telemetry {
  readonly metrics: DeadlineMetrics;
  readonly recent: RecentRequests;
  readonly traceContext: TraceContextMode;

  constructor(
    readonly service: string,
    options: TelemetryOptions = {},
    /** Present when the instrumentations run and spans may be recorded. */
    readonly spans?: DeadlineSpanProcessor,
    readonly shutdown: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.metrics = new DeadlineMetrics({
      tier: service,
      processMetrics: options.processMetrics,
    });
    this.recent = new RecentRequests({ capacity: options.recentRequests });
    this.traceContext = spans
      ? 'instrumented'
      : options.lightTraceContext
        ? 'light'
        : 'none';
  }
}

let current: Telemetry | undefined;

/** The process's telemetry, as set up by `startTelemetry()` (or a metrics-only default). */
export function telemetry(): Telemetry {
  current ??= new Telemetry(process.env.OTEL_SERVICE_NAME ?? 'unknown_service');
  return current;
}

export function setTelemetry(value: Telemetry): void {
  current = value;
}
