import { currentScope } from '../core/deadline-context.js';
import type { ClientMiddleware } from './client-middleware.js';
import { HOP_METADATA_KEY } from './metadata-keys.js';

/**
 * Naive mode, for comparison only, in place of {@link propagateDeadline}: every call gets the same
 * fixed timeout, ignores the current deadline and is not cancelled when it aborts, as in a stack
 * with no propagation.
 */
export function fixedTimeout(timeoutMs: number): ClientMiddleware {
  return (next) => (call) => {
    const hop = currentScope()?.hop ?? 0;
    call.metadata.set(HOP_METADATA_KEY, String(hop + 1));
    return next({ ...call, budgetMs: timeoutMs });
  };
}
