/** An `abort` fault: the transport adapter drops the call without an answer (HTTP/2 stream reset). */
export class CallDroppedError extends Error {
  readonly tag = 'CallDroppedError' as const;
  override readonly name = 'CallDroppedError';
  /** Used only if the adapter cannot reach the stream: UNAVAILABLE, as a dropped connection reads. */
  readonly code = 14;
  readonly reason = 'chaos_fault';

  constructor(readonly faultId: string) {
    super(`call dropped by chaos fault ${faultId}`);
  }

  get details(): string {
    return this.message;
  }

  static is(error: unknown): error is CallDroppedError {
    return (error as { tag?: unknown } | null)?.tag === 'CallDroppedError';
  }
}
