/** A request body is larger than the edge takes: as sent, or once its content-encoding is undone (a gzip bomb). */
export class PayloadTooLargeError extends Error {
  readonly tag = 'PayloadTooLargeError' as const;
  override readonly name = 'PayloadTooLargeError';

  constructor(
    message: string,
    /** The limit that was passed, in bytes. */
    readonly limitBytes: number,
  ) {
    super(message);
  }

  static is(error: unknown): error is PayloadTooLargeError {
    return (
      error instanceof PayloadTooLargeError ||
      (error as { tag?: unknown } | null)?.tag === 'PayloadTooLargeError'
    );
  }
}
