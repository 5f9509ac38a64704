import { DeadlineExceededError } from './deadline-exceeded.error.js';

/**
 * A stream went quiet for longer than its idle limit. It is a deadline (the wire status is
 * `DEADLINE_EXCEEDED`, the edge answers `504`), told apart so idle timeouts can be counted.
 */
export class StreamIdleError extends DeadlineExceededError {
  readonly kind = 'stream_idle' as const;

  constructor(
    /** The limit that was passed. */
    readonly idleMs: number,
    what = 'the stream',
  ) {
    super(`${what} sent no message for ${idleMs} ms (its idle limit)`);
  }

  static override is(error: unknown): error is StreamIdleError {
    return (
      error instanceof StreamIdleError ||
      (error as { kind?: unknown } | null)?.kind === 'stream_idle'
    );
  }
}
