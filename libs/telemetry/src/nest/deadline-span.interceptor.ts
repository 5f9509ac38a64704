import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { Observable } from 'rxjs';
import { DeadlineAttr } from '../core/deadline-attributes.js';
import type { Telemetry } from '../otel/telemetry.js';

/** What the interceptor reads of the request's deadline scope (`currentScope()` of `@lib/deadline`). */
export interface ScopeView {
  readonly receivedBudgetMs: number | null;
  readonly hop: number;
}

export interface DeadlineSpanInterceptorOptions {
  readonly telemetry: Telemetry;
  /** The request's deadline scope, e.g. `currentScope` from `@lib/deadline`. */
  readonly currentScope: () => ScopeView | undefined;
  readonly reserveMs: number;
}

/**
 * Writes the deadline's starting attributes on the server span as the handler starts. The rest come
 * when the request ends; this part must not wait, because a server span can end first (grpc-js
 * answers `DEADLINE_EXCEEDED` on its own timer while the handler is still being aborted).
 * Install it inside the deadline interceptor, so the scope exists.
 */
@Injectable()
export class DeadlineSpanInterceptor implements NestInterceptor {
  constructor(private readonly options: DeadlineSpanInterceptorOptions) {}

  intercept(
    _context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    const spans = this.options.telemetry.spans;
    const active = spans && trace.getActiveSpan()?.spanContext();
    const server = active && spans.serverSpanOf(active.spanId);
    const scope = server && this.options.currentScope();
    if (server && scope) {
      server.setAttribute(DeadlineAttr.HOP, scope.hop);
      server.setAttribute(DeadlineAttr.RESERVE_MS, this.options.reserveMs);
      if (scope.receivedBudgetMs === null)
        server.setAttribute(DeadlineAttr.MISSING, true);
      else {
        server.setAttribute(DeadlineAttr.RECEIVED_MS, scope.receivedBudgetMs);
        server.setAttribute(
          DeadlineAttr.REMAINING_START_MS,
          scope.receivedBudgetMs,
        );
      }
    }
    return next.handle();
  }
}
