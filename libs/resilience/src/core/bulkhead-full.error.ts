import { GrpcStatus } from '@lib/deadline';

/** A downstream's bulkhead has no free slot and no queue room: fail fast with `UNAVAILABLE`. */
export class BulkheadFullError extends Error {
  readonly tag = 'BulkheadFullError' as const;
  override readonly name = 'BulkheadFullError';
  readonly code = GrpcStatus.UNAVAILABLE;
  readonly reason = 'bulkhead_full' as const;

  constructor(
    readonly downstream: string,
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    super(
      `${downstream} is unavailable: ${maxConcurrent} calls in flight and ${maxQueue} queued`,
    );
  }

  static is(error: unknown): error is BulkheadFullError {
    return (
      error instanceof BulkheadFullError ||
      (error as { tag?: unknown } | null)?.tag === 'BulkheadFullError'
    );
  }
}
