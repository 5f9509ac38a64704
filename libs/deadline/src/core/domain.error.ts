import { type GrpcStatus } from './grpc-status.js';

/**
 * A business outcome that is not a fault: out of stock, payment declined, bad token.
 * It carries the gRPC status it maps to and a stable machine-readable `code`; breakers ignore it.
 */
export class DomainError extends Error {
  readonly tag = 'DomainError' as const;
  override readonly name = 'DomainError';

  constructor(
    readonly status: GrpcStatus,
    /** Stable, machine-readable, snake_case (e.g. `out_of_stock`). */
    readonly code: string,
    message: string,
    /** The input field at fault, for validation errors. */
    readonly field?: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is DomainError {
    return (
      error instanceof DomainError ||
      (error as { tag?: unknown } | null)?.tag === 'DomainError'
    );
  }
}
