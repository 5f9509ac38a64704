/** The caller went away (HTTP client closed the connection, gRPC call cancelled) or cancelled on purpose. */
export class CancelledError extends Error {
  readonly tag = 'CancelledError' as const;
  override readonly name = 'CancelledError';

  constructor(
    message = 'cancelled by the caller',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static is(error: unknown): error is CancelledError {
    return (
      error instanceof CancelledError ||
      (error as { tag?: unknown } | null)?.tag === 'CancelledError'
    );
  }
}
