import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { context, defaultTextMapGetter } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import {
  METADATA_GETTER,
  type MetadataLike,
} from '../otel/metadata-carrier.js';
import { continueTrace } from '../otel/trace-context.js';
import type { Telemetry } from '../otel/telemetry.js';

/**
 * Light trace context (see {@link Telemetry.traceContext}): continues the caller's W3C trace (HTTP
 * headers or gRPC metadata) or starts one, and runs the rest of the request in it — the other
 * interceptors, the handler, its deadline's timer — so the log lines and the calls it makes carry
 * it. Install it outermost, before the deadline interceptor. Does nothing in the other modes.
 */
@Injectable()
export class TraceContextInterceptor implements NestInterceptor {
  constructor(private readonly telemetry: Telemetry) {}

  intercept(
    execution: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    if (this.telemetry.traceContext !== 'light') return next.handle();
    const traced = tracedContextOf(execution);
    if (!traced) return next.handle();
    // Subscribed inside the context: Nest runs the inner interceptors and the handler on subscription.
    return new Observable((subscriber) =>
      context.with(traced, () => next.handle().subscribe(subscriber)),
    );
  }
}

function tracedContextOf(
  execution: ExecutionContext,
): ReturnType<typeof continueTrace> | undefined {
  if (execution.getType() === 'http') {
    const headers = execution.switchToHttp().getRequest<{
      headers?: Record<string, string | string[] | undefined>;
    }>().headers;
    return headers && continueTrace(headers, defaultTextMapGetter);
  }
  if (execution.getType() === 'rpc') {
    const metadata: unknown = execution.getArgByIndex(1);
    return isMetadata(metadata)
      ? continueTrace(metadata, METADATA_GETTER)
      : undefined;
  }
  return undefined;
}

function isMetadata(value: unknown): value is MetadataLike {
  return (
    typeof (value as { get?: unknown } | null)?.get === 'function' &&
    typeof (value as { set?: unknown }).set === 'function'
  );
}
