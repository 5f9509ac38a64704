import { trace } from '@opentelemetry/api';
import { DeadlineAttr } from '../core/deadline-attributes.js';
import type { Telemetry } from './telemetry.js';

/** What is read of the request's deadline scope (`currentScope()` of `@lib/deadline`). */
export interface ScopeView {
  readonly receivedBudgetMs: number | null;
  readonly hop: number;
}

export interface ServerSpanAttributesOptions {
  readonly telemetry: Telemetry;
  /** The request's deadline scope, e.g. `currentScope` from `@lib/deadline`. */
  readonly currentScope: () => ScopeView | undefined;
  readonly reserveMs: number;
}

/**
 * Writes the deadline's starting attributes on the active server span as the handler starts. The
 * rest come when the request ends; this part must not wait, because a server span can end first
 * (grpc-js answers `DEADLINE_EXCEEDED` on its own timer while the handler is still being aborted).
 * Call it inside the deadline's scope.
 */
export function writeServerSpanAttributes(
  options: ServerSpanAttributesOptions,
): void {
  const spans = options.telemetry.spans;
  const active = spans && trace.getActiveSpan()?.spanContext();
  const server = active && spans.serverSpanOf(active.spanId);
  const scope = server && options.currentScope();
  if (!server || !scope) return;
  server.setAttribute(DeadlineAttr.HOP, scope.hop);
  server.setAttribute(DeadlineAttr.RESERVE_MS, options.reserveMs);
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
