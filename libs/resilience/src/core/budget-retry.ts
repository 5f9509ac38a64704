import {
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
} from 'cockatiel';
import { delay } from '@lib/deadline';

export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. @default 2 */
  readonly maxAttempts?: number;
  /** Backoff before the first retry (jittered, growing). @default 25 */
  readonly baseDelayMs?: number;
  /** Longest backoff. @default 250 */
  readonly maxDelayMs?: number;
  /** Backoff durations; any cockatiel backoff. @default ExponentialBackoff({ initialDelay: baseDelayMs, maxDelay: maxDelayMs }) */
  readonly backoff?: IBackoffFactory<unknown>;
}

export interface RetryBudget {
  /** Aborts the backoff sleep and the attempts (the caller's deadline). */
  readonly signal?: AbortSignal;
  /** What the caller has left right now. */
  readonly remainingMs: () => number;
  /** What a new attempt is expected to take (the downstream's observed latency). */
  readonly expectedLatencyMs: () => number;
  /** Time kept back for the reply to travel home. @default 0 */
  readonly reserveMs?: number;
  /** Only errors this accepts are retried (never a breaker rejection or a spent budget). */
  readonly isRetryable: (error: unknown) => boolean;
}

/**
 * Retries `fn` only while the remaining budget covers the backoff, the downstream's observed
 * latency and the reserve. The backoff sleep ends the moment `signal` aborts (cockatiel's retry
 * sleeps on regardless). Gives up with the last attempt's error.
 */
export async function retryWithinBudget<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & RetryBudget,
): Promise<T> {
  const {
    maxAttempts = 2,
    baseDelayMs = 25,
    maxDelayMs = 250,
    signal,
    reserveMs = 0,
  } = options;
  let backoff: IBackoffFactory<unknown> | IBackoff<unknown> =
    options.backoff ??
    new ExponentialBackoff({ initialDelay: baseDelayMs, maxDelay: maxDelayMs });
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (
        attempt >= maxAttempts ||
        !options.isRetryable(error) ||
        signal?.aborted
      )
        throw error;
      backoff = backoff.next(undefined);
      const pauseMs = (backoff as IBackoff<unknown>).duration;
      if (
        options.remainingMs() <
        pauseMs + options.expectedLatencyMs() + reserveMs
      )
        throw error;
      await delay(pauseMs, signal);
    }
  }
}
