/**
 * A stream's reader fell too far behind: more than its bound of bytes waited to be sent, so the
 * stream was ended rather than held in memory. The wire status is `RESOURCE_EXHAUSTED` (the edge
 * answers `429`); the reader may reconnect and start from the current state.
 */
export class SlowConsumerError extends Error {
  readonly tag = 'SlowConsumerError' as const;
  override readonly name = 'SlowConsumerError';

  constructor(
    /** The bound that was passed. */
    readonly maxBufferedBytes: number,
    what = 'the stream',
  ) {
    super(
      `the client read ${what} too slowly: more than ${maxBufferedBytes} bytes waited to be sent (its buffer limit)`,
    );
  }

  static is(error: unknown): error is SlowConsumerError {
    return (
      error instanceof SlowConsumerError ||
      (error as { tag?: unknown } | null)?.tag === 'SlowConsumerError'
    );
  }
}
