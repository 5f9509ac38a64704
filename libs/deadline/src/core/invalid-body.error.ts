/** A request body, or a field in it, could not be accepted: not JSON, not valid in its charset, not the shape asked for. */
export class InvalidBodyError extends Error {
  readonly tag = 'InvalidBodyError' as const;
  override readonly name = 'InvalidBodyError';

  constructor(
    /** The body field at fault, or `body` for the body as a whole. */
    readonly field: string,
    /** What is wrong, in words a client can act on. */
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is InvalidBodyError {
    return (
      error instanceof InvalidBodyError ||
      (error as { tag?: unknown } | null)?.tag === 'InvalidBodyError'
    );
  }
}
