/** A request body comes in a media type, charset or content-encoding the edge does not take. */
export class UnsupportedMediaTypeError extends Error {
  readonly tag = 'UnsupportedMediaTypeError' as const;
  override readonly name = 'UnsupportedMediaTypeError';

  constructor(
    /** The header at fault: `content-type` or `content-encoding`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is UnsupportedMediaTypeError {
    return (
      error instanceof UnsupportedMediaTypeError ||
      (error as { tag?: unknown } | null)?.tag === 'UnsupportedMediaTypeError'
    );
  }
}
