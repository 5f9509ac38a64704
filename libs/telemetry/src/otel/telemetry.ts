import { DeadlineMetrics } from '../core/deadline-metrics';
import { RecentRequests } from '../core/recent-requests';
import type { DeadlineSpanProcessor } from './deadline-span.processor';

/** One process's telemetry: its metrics, its recent requests (edge), and whether spans are recorded. */
export class Telemetry {
  readonly metrics: DeadlineMetrics;
  readonly recent: RecentRequests;

  constructor(
    readonly service: string,
    options: { readonly recentRequests?: number; readonly processMetrics?: boolean } = {},
    /** Present when tracing is on. */
    readonly spans?: DeadlineSpanProcessor,
    readonly shutdown: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.metrics = new DeadlineMetrics({ tier: service, processMetrics: options.processMetrics });
    this.recent = new RecentRequests({ capacity: options.recentRequests });
  }

  get tracing(): boolean {
    return this.spans !== undefined;
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
