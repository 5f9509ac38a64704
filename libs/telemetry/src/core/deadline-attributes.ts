/**
 * Span attribute names for a request's deadline. OpenTelemetry has no semantic convention for a
 * deadline, so they live under one custom prefix, `deadline.`, and are part of this project's
 * public contract: renaming one breaks dashboards, so add rather than rename.
 */
export const DeadlineAttr = {
  /** Budget the span's request arrived with (server) or that the parent had when the call started (client), ms. */
  RECEIVED_MS: 'deadline.budget.received_ms',
  /** Time left when the work started, ms. */
  REMAINING_START_MS: 'deadline.remaining.start_ms',
  /** Time left when the work ended, ms (0 once the deadline passed). */
  REMAINING_END_MS: 'deadline.remaining.end_ms',
  /** Budget put on the wire for the downstream call (`grpc-timeout`), ms. */
  FORWARDED_MS: 'deadline.budget.forwarded_ms',
  /** Time kept back from the forwarded budget for the reply to travel home, ms. */
  RESERVE_MS: 'deadline.reserve_ms',
  /** Share of the received budget this hop used before passing it on (or before it ended), %. */
  DECAY_PCT: 'deadline.decay_pct',
  /** Time the hop worked on the request, ms. */
  SPENT_MS: 'deadline.spent_ms',
  /** Position in the chain: 0 at the edge, +1 per gRPC hop. */
  HOP: 'deadline.hop',
  /** How the request ended: `ok`, `deadline_exceeded`, `cancelled`, `breaker_open` or `error`. */
  OUTCOME: 'deadline.outcome',
  /** True when the caller sent no deadline and a local fallback applied. */
  MISSING: 'deadline.missing',
  /** A stream's call type: `server`, `client` or `bidi` (absent on unary calls). */
  STREAM_KIND: 'deadline.stream.kind',
  /** From the start of a stream to its first message, ms. */
  STREAM_FIRST_MESSAGE_MS: 'deadline.stream.first_message_ms',
  /** Messages a stream carried (sent by a server, received by a client). */
  STREAM_MESSAGES: 'deadline.stream.messages',
  /** How a stream ended: `completed`, `deadline_exceeded`, `idle_timeout`, `slow_consumer`, `cancelled`, `unavailable`, `error`. */
  STREAM_END: 'deadline.stream.end',
} as const;

/** How a request or call ended, as recorded on spans, metrics and the tracer page. */
export type DeadlineOutcome =
  'ok' | 'deadline_exceeded' | 'cancelled' | 'breaker_open' | 'error';

/** Narrative's decay rate: the share of `receivedMs` gone by the time `leftMs` was left. */
export function decayPct(
  receivedMs: number | null,
  leftMs: number | null,
): number | undefined {
  if (receivedMs === null || leftMs === null || receivedMs <= 0)
    return undefined;
  return Math.round(((receivedMs - leftMs) / receivedMs) * 1000) / 10;
}
