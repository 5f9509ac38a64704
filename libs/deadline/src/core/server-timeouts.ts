import type { BudgetPolicy } from './budget-policy.js';

/** Node's HTTP server limits (`http.Server` properties of the same names), in milliseconds. */
export interface HttpServerTimeouts {
  /** Longest wait for a request's headers. The budget is in them, so no deadline runs yet: the largest budget bounds it. */
  readonly headersTimeout: number;
  /**
   * Longest a whole request (headers and body) may take to arrive; past it Node answers `408` and
   * closes. A second above the largest budget, so the edge's own `504`, which reads the body under the
   * request's deadline, answers first whenever the edge reads it.
   */
  readonly requestTimeout: number;
  /** Longest an idle keep-alive connection is held: Node's 5 s, never above the largest budget. */
  readonly keepAliveTimeout: number;
  /** How often Node checks the two limits above (its default, 30 s, would let a connection overstay them by that). */
  readonly connectionsCheckingInterval: number;
}

/** What the edge's own deadline gets before Node's `requestTimeout` cuts in. */
const REQUEST_TIMEOUT_GRACE_MS = 1_000;
const KEEP_ALIVE_MS = 5_000;

/**
 * The HTTP server's limits from the edge's budget policy, so a slow client (slow headers, a body
 * that stalls, an idle connection) holds a socket for no longer than the largest budget a request
 * may have. Set them on the server before it listens.
 */
export function httpServerTimeouts(
  policy: Pick<BudgetPolicy, 'maxBudgetMs'>,
): HttpServerTimeouts {
  const { maxBudgetMs } = policy;
  return {
    headersTimeout: maxBudgetMs,
    requestTimeout: maxBudgetMs + REQUEST_TIMEOUT_GRACE_MS,
    keepAliveTimeout: Math.min(KEEP_ALIVE_MS, maxBudgetMs),
    connectionsCheckingInterval: Math.min(
      1_000,
      Math.max(10, Math.floor(maxBudgetMs / 4)),
    ),
  };
}
