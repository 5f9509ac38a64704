import { GrpcStatus } from '@lib/deadline';

/** Our own per-attempt (or probe) deadline fired before the downstream answered: a failure that counts. */
export class AttemptTimeoutError extends Error {
  readonly tag = 'AttemptTimeoutError' as const;
  override readonly name = 'AttemptTimeoutError';
  readonly code = GrpcStatus.DEADLINE_EXCEEDED;
  readonly reason = 'attempt_timeout' as const;

  constructor(
    readonly downstream: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${downstream} gave no answer within its ${Math.round(timeoutMs)} ms attempt deadline`,
    );
  }

  static is(error: unknown): error is AttemptTimeoutError {
    return (
      error instanceof AttemptTimeoutError ||
      (error as { tag?: unknown } | null)?.tag === 'AttemptTimeoutError'
    );
  }
}
