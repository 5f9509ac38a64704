import { GRPC_STATUS_NAMES } from './fault-spec.js';

/**
 * The answer of an `error` fault. It carries a numeric gRPC `code` and a `reason`, which is what
 * the deadline library's status table reads, so it leaves the tier as that status.
 */
export class InjectedFaultError extends Error {
  readonly tag = 'InjectedFaultError' as const;
  override readonly name = 'InjectedFaultError';
  readonly reason = 'chaos_fault';

  constructor(
    /** gRPC status code, 1..16. */
    readonly code: number,
    readonly faultId: string,
  ) {
    super(
      `${GRPC_STATUS_NAMES[code] ?? code} injected by chaos fault ${faultId}`,
    );
  }

  /** What grpc-js error mapping reads as the status details. */
  get details(): string {
    return this.message;
  }

  static is(error: unknown): error is InjectedFaultError {
    return (error as { tag?: unknown } | null)?.tag === 'InjectedFaultError';
  }
}
