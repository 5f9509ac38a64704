import { type Context, SpanKind } from '@opentelemetry/api';
import type {
  ReadableSpan,
  Span,
  SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  DeadlineAttr,
  type DeadlineOutcome,
  decayPct,
} from '../core/deadline-attributes.js';
import {
  OUTGOING_CALL,
  type OutgoingCallInfo,
} from './outgoing-call.context.js';

const GRPC_STATUS_ATTR = 'rpc.grpc.status_code';
const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Puts the deadline on spans the gRPC instrumentation creates: a client span started under the
 * tracing middleware gets the call's budget at start and the caller's time left, and its outcome,
 * at end, and has the last word on `error.type` of the spans it annotates. It also remembers each
 * local span's server span, so the request-end hook can annotate the server span however deep the
 * active span is (spans another instrumentation or the application starts sit below it).
 */
export class DeadlineSpanProcessor implements SpanProcessor {
  private readonly calls = new WeakMap<Span, OutgoingCallInfo>();
  private readonly serverOf = new Map<string, Span>();

  onStart(span: Span, parentContext: Context): void {
    const spanId = span.spanContext().spanId;
    if (span.kind === SpanKind.SERVER) {
      this.serverOf.set(spanId, span);
    } else {
      const parentId = span.parentSpanContext?.spanId;
      const server =
        parentId === undefined ? undefined : this.serverOf.get(parentId);
      if (server) this.serverOf.set(spanId, server);
    }
    if (span.kind !== SpanKind.CLIENT) return;
    const call = parentContext.getValue(OUTGOING_CALL) as
      OutgoingCallInfo | undefined;
    if (!call) return;
    this.calls.set(span, call);
    span.setAttribute(DeadlineAttr.FORWARDED_MS, round(call.budgetMs));
    span.setAttribute(DeadlineAttr.RESERVE_MS, call.reserveMs);
    if (call.hop !== undefined) span.setAttribute(DeadlineAttr.HOP, call.hop);
    if (call.remainingStartMs === null) {
      span.setAttribute(DeadlineAttr.MISSING, true);
      return;
    }
    span.setAttribute(DeadlineAttr.RECEIVED_MS, round(call.remainingStartMs));
    span.setAttribute(
      DeadlineAttr.REMAINING_START_MS,
      round(call.remainingStartMs),
    );
    const decay = decayPct(call.remainingStartMs, call.budgetMs);
    if (decay !== undefined) span.setAttribute(DeadlineAttr.DECAY_PCT, decay);
  }

  onEnding(span: Span): void {
    if (span.kind === SpanKind.SERVER) {
      let outcome = span.attributes[DeadlineAttr.OUTCOME] as
        DeadlineOutcome | undefined;
      if (outcome === undefined) {
        // Ended before the handler did (grpc-js's own deadline timer): say how, from the status sent.
        const code = span.attributes[GRPC_STATUS_ATTR];
        if (code === undefined) return;
        outcome = outcomeOfStatus(code);
        span.setAttribute(DeadlineAttr.OUTCOME, outcome);
        if (outcome === 'deadline_exceeded')
          span.setAttribute(DeadlineAttr.REMAINING_END_MS, 0);
      }
      markError(span, outcome);
      return;
    }
    const call = this.calls.get(span);
    if (!call) return;
    const remaining = call.remainingMs();
    if (remaining !== null)
      span.setAttribute(
        DeadlineAttr.REMAINING_END_MS,
        round(Math.max(0, remaining)),
      );
    let outcome = outcomeOfStatus(span.attributes[GRPC_STATUS_ATTR]);
    // We cancel the call on the wire when the caller's deadline passes: that is an expiry, not a hang-up.
    if (outcome === 'cancelled' && remaining !== null && remaining <= 0)
      outcome = 'deadline_exceeded';
    span.setAttribute(DeadlineAttr.OUTCOME, outcome);
    markError(span, outcome);
  }

  onEnd(span: ReadableSpan): void {
    this.serverOf.delete(span.spanContext().spanId);
  }

  /** The server span a live local span belongs to (itself, for a server span). */
  serverSpanOf(spanId: string): Span | undefined {
    return this.serverOf.get(spanId);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.serverOf.clear();
    return Promise.resolve();
  }
}

/**
 * `error.type` is the outcome on every span that carries one, written last: instrumentation-http
 * (0.301 on) puts the status code there as the response finishes, after the request-end hook has
 * written the outcome. Semantic conventions allow either the code or a component-specific
 * identifier; ours says which way the deadline went, and the code stays in
 * `http.response.status_code` / `rpc.grpc.status_code`. A request that ended `ok` keeps whatever
 * the instrumentation wrote.
 */
function markError(span: Span, outcome: DeadlineOutcome): void {
  if (outcome !== 'ok') span.setAttribute(ATTR_ERROR_TYPE, outcome);
}

function outcomeOfStatus(code: unknown): DeadlineOutcome {
  if (code === 0) return 'ok';
  if (code === 4) return 'deadline_exceeded';
  if (code === 1) return 'cancelled';
  return 'error';
}
