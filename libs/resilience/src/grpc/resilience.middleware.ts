import { type ClientMiddleware } from '@lib/deadline';
import { type ResilientDownstream } from '../core/resilient-downstream.js';

/**
 * Puts a downstream's guard (admission, retry, breaker, bulkhead) around every unary call of a
 * deadline client. The attempt's shorter budget becomes the call's `grpc-timeout`; the attempt's
 * signal cancels the call on the wire when the breaker opens.
 */
export function resilienceMiddleware(
  guard: ResilientDownstream,
): ClientMiddleware {
  return (next) => (call) =>
    guard.execute(
      { method: call.method, budgetMs: call.budgetMs, signal: call.signal },
      ({ signal, budgetMs }) => next({ ...call, signal, budgetMs }),
    );
}
