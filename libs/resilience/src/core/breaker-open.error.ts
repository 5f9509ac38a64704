import { GrpcStatus } from '@lib/deadline';

/** Why a breaker refused or aborted a call. */
export type BreakerRejection = 'open' | 'probe-busy' | 'opened-in-flight';

/**
 * A breaker failed fast: it is open, its single half-open probe is busy, or it opened while this
 * call was in flight. Maps to `UNAVAILABLE` (HTTP 503); `retryAfterMs` is the time until the next probe.
 */
export class BreakerOpenError extends Error {
  readonly tag = 'BreakerOpenError' as const;
  override readonly name = 'BreakerOpenError';
  /** gRPC status, read by `statusOf()`. */
  readonly code = GrpcStatus.UNAVAILABLE;
  /** Stable machine-readable code; crosses a hop as `x-error-code`, so callers upstream can tell it from a fault. */
  readonly reason = 'breaker_open' as const;

  constructor(
    readonly downstream: string,
    readonly rejection: BreakerRejection,
    /** Milliseconds until the breaker lets a probe through. */
    readonly retryAfterMs: number,
  ) {
    super(
      `${downstream} is unavailable: ${MESSAGES[rejection]}; retry in ${Math.ceil(retryAfterMs)} ms`,
    );
  }

  static is(error: unknown): error is BreakerOpenError {
    return (
      error instanceof BreakerOpenError ||
      (error as { tag?: unknown } | null)?.tag === 'BreakerOpenError'
    );
  }
}

const MESSAGES: Readonly<Record<BreakerRejection, string>> = {
  open: 'circuit breaker open',
  'probe-busy': 'circuit breaker half-open, its probe is running',
  'opened-in-flight': 'circuit breaker opened while the call was in flight',
};
