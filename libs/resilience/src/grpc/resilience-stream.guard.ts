import type { StreamLimit, StreamStartGuard } from '@lib/deadline';
import { Bulkhead } from '../core/bulkhead.js';
import { type ResilientDownstream } from '../core/resilient-downstream.js';

/**
 * The downstream's guard around the start of a server stream, up to its first message: the breaker
 * counts the start (refused, failed or no first message within the attempt's budget), not the stream's
 * long life; admission and budget-aware retry (for `idempotentMethods`) apply before the first message
 * only. Once a message has arrived the stream lives by its own deadline: a breaker that opens later
 * leaves it be.
 */
export function resilienceStreamGuard(
  guard: ResilientDownstream,
): StreamStartGuard {
  return (start, open) =>
    guard.execute(
      { method: start.method, budgetMs: start.budgetMs, signal: start.signal },
      ({ signal }) => open({ signal }),
    );
}

/**
 * A bulkhead of open streams, apart from the downstream's unary one: a slot is held for a stream's
 * whole life, and a stream past `maxOpenStreams` is refused at once (`BulkheadFullError`, 503).
 */
export function streamBulkhead(
  name: string,
  maxOpenStreams: number,
): StreamLimit {
  const bulkhead = new Bulkhead({
    name: `${name} streams`,
    maxConcurrent: maxOpenStreams,
    maxQueue: 0,
  });
  return (signal) =>
    new Promise((resolve, reject) => {
      bulkhead
        .execute(() => new Promise<void>((release) => resolve(release)), signal)
        .catch(reject);
    });
}
