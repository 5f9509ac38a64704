/** The request's time budget ran out. Callers must not retry: the budget is spent. */
export class DeadlineExceededError extends Error {
  readonly tag = 'DeadlineExceededError' as const;
  override readonly name = 'DeadlineExceededError';

  constructor(message = 'deadline exceeded', options?: { cause?: unknown }) {
    super(message, options);
  }

  static is(error: unknown): error is DeadlineExceededError {
    return (
      error instanceof DeadlineExceededError ||
      (error as { tag?: unknown } | null)?.tag === 'DeadlineExceededError'
    );
  }
}
