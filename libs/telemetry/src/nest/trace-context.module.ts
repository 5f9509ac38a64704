import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { telemetry } from '../otel/telemetry.js';
import { TraceContextInterceptor } from './trace-context.interceptor.js';

/**
 * Installs {@link TraceContextInterceptor} for every route and gRPC handler. Import it before the
 * module that installs the deadline interceptor: Nest applies global interceptors in the order it
 * scans modules (a module's own providers, then its imports in order), and this one must wrap the
 * deadline interceptor.
 */
@Module({
  providers: [
    {
      provide: APP_INTERCEPTOR,
      useFactory: () => new TraceContextInterceptor(telemetry()),
    },
  ],
})
export class TraceContextModule {}
