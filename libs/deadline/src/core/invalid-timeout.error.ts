/** A timeout value on the wire (header, query parameter, metadata) could not be accepted. */
export class InvalidTimeoutError extends Error {
  readonly tag = 'InvalidTimeoutError' as const;
  override readonly name = 'InvalidTimeoutError';

  constructor(
    /** Where the value came from, e.g. `x-request-timeout` or `grpc-timeout`. */
    readonly source: string,
    /** Why it was refused, in words a client can act on. */
    readonly reason: string,
  ) {
    super(`invalid ${source}: ${reason}`);
  }

  static is(error: unknown): error is InvalidTimeoutError {
    return (
      error instanceof InvalidTimeoutError ||
      (error as { tag?: unknown } | null)?.tag === 'InvalidTimeoutError'
    );
  }
}
