import { type DynamicModule, Module } from '@nestjs/common';
import { Telemetry, telemetry } from '../otel/telemetry.js';
import { MetricsController } from './metrics.controller.js';
import { TracerController } from './tracer.controller.js';

export interface TelemetryModuleOptions {
  /** Also serve the ContextTracer page and its JSON under `/_tracer` (the edge). @default false */
  readonly tracerPage?: boolean;
}

/**
 * `GET /metrics` (and, at the edge, `GET /_tracer`) over the process's telemetry, which
 * `startTelemetry()` set up before the app was created. Injects {@link Telemetry}.
 */
@Module({})
export class TelemetryModule {
  static forRoot(options: TelemetryModuleOptions = {}): DynamicModule {
    return {
      module: TelemetryModule,
      controllers: options.tracerPage
        ? [MetricsController, TracerController]
        : [MetricsController],
      providers: [{ provide: Telemetry, useFactory: telemetry }],
      exports: [Telemetry],
      global: true,
    };
  }
}
