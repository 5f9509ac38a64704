import type { HopRecord } from '../core/hop-record.js';

/** `Server-Timing` header value: one metric per hop, in chain order, with its budgets. */
export function serverTiming(hops: readonly HopRecord[]): string {
  return hops
    .map((hop, i) => {
      const received =
        hop.receivedBudgetMs === null
          ? 'none'
          : `${Math.round(hop.receivedBudgetMs)}ms`;
      const forwarded =
        hop.forwardedBudgetMs === null
          ? 'none'
          : `${Math.round(hop.forwardedBudgetMs)}ms`;
      return `${i}-${hop.service};dur=${hop.spentMs.toFixed(1)};desc="${hop.method.replace(/["\\]/g, '')} received ${received} forwarded ${forwarded} ${hop.outcome}"`;
    })
    .join(', ');
}
