import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import { defer, firstValueFrom, of } from 'rxjs';
import { DeadlineSpanProcessor } from '../otel/deadline-span.processor.js';
import {
  installGlobalContext,
  releaseGlobalContext,
} from '../otel/global-context.js';
import { Telemetry, type TraceContextMode } from '../otel/telemetry.js';
import { TraceContextInterceptor } from './trace-context.interceptor.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const http = (headers: Record<string, string>): ExecutionContext =>
  ({
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  }) as unknown as ExecutionContext;
const rpc = (metadata: Metadata): ExecutionContext =>
  ({
    getType: () => 'rpc',
    getArgByIndex: (i: number) => (i === 1 ? metadata : undefined),
  }) as unknown as ExecutionContext;
/** A handler that, like Nest's, does its work when subscribed to, and reports the trace it ran in. */
const handler: CallHandler<string | undefined> = {
  handle: () =>
    defer(() => of(trace.getSpanContext(context.active())?.traceId)),
};
const interceptor = (mode: TraceContextMode): TraceContextInterceptor =>
  new TraceContextInterceptor(
    new Telemetry(
      'gateway',
      { processMetrics: false, lightTraceContext: mode === 'light' },
      mode === 'instrumented' ? new DeadlineSpanProcessor() : undefined,
    ),
  );

describe(TraceContextInterceptor.name, () => {
  beforeAll(() => installGlobalContext());
  afterAll(releaseGlobalContext);

  it("runs an HTTP request's handler in the caller's trace", async () => {
    await expect(
      firstValueFrom(
        interceptor('light').intercept(
          http({ traceparent: TRACEPARENT }),
          handler,
        ),
      ),
    ).resolves.toBe(TRACE_ID);
  });

  it("runs a gRPC call's handler in the trace its metadata names", async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', TRACEPARENT);
    await expect(
      firstValueFrom(interceptor('light').intercept(rpc(metadata), handler)),
    ).resolves.toBe(TRACE_ID);
  });

  it('starts a trace for a request that brings none', async () => {
    await expect(
      firstValueFrom(interceptor('light').intercept(http({}), handler)),
    ).resolves.toMatch(/^[0-9a-f]{32}$/);
  });

  it.each<TraceContextMode>(['instrumented', 'none'])(
    'leaves the request alone when trace context is %s',
    async (mode) => {
      await expect(
        firstValueFrom(
          interceptor(mode).intercept(
            http({ traceparent: TRACEPARENT }),
            handler,
          ),
        ),
      ).resolves.toBeUndefined();
    },
  );
});
