import { currentScope } from '../core/deadline-context.js';
import { DownstreamError } from '../core/downstream.error.js';
import { failureOf } from '../core/failure.js';
import { decodeHops, HOPS_METADATA_KEY } from '../core/hop-record.js';
import type { ClientMiddleware } from './client-middleware.js';

const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Puts the hop records a downstream sent back (response headers on success, trailers on failure)
 * into the current scope. Innermost, so each attempt of a retried call is recorded. A callee that
 * ran out of time or was cancelled cannot report itself (its deadline is anchored at arrival, so
 * ours fires first): its record is written from what we saw, so the chain stays complete.
 */
export function collectHops(): ClientMiddleware {
  return (next) => async (call) => {
    const scope = currentScope();
    if (!scope) return next(call);
    const startedAt = performance.now();
    try {
      const response = await next(call);
      const hops = decodeHops(response.header.get(HOPS_METADATA_KEY)[0]);
      if (hops.length) scope.recordDownstream(hops);
      return response;
    } catch (error) {
      const hops = DownstreamError.is(error)
        ? decodeHops(error.trailer?.get(HOPS_METADATA_KEY)[0])
        : [];
      const { outcome } = failureOf(error);
      if (hops.length) scope.recordDownstream(hops);
      else if (outcome !== 'error')
        scope.recordDownstream([
          {
            service: call.service,
            method: call.method,
            receivedBudgetMs: Number.isFinite(call.budgetMs)
              ? round(call.budgetMs)
              : null,
            spentMs: round(performance.now() - startedAt),
            forwardedBudgetMs: null,
            outcome,
          },
        ]);
      throw error;
    }
  };
}
