import { Logger } from '@nestjs/common';
import { type Attributes, trace } from '@opentelemetry/api';
import type { HopRecord, RequestEndEvent } from '@lib/deadline';
import { DeadlineAttr, decayPct } from '../core/deadline-attributes.js';
import type { Telemetry } from '../otel/telemetry.js';

export interface RequestEndHookOptions {
  readonly telemetry: Telemetry;
  /** Reserve this tier keeps back from what it forwards, ms (recorded on the span). */
  readonly reserveMs: number;
  /** Keep the request in the recent-request buffer (the edge does). @default false */
  readonly keepRecent?: boolean;
  /** Requests never kept in the buffer: the tracer's own page, metrics scrapes, health probes. */
  readonly skipRecent?: (method: string) => boolean;
  /** Where the request line goes. @default Nest's Logger, context `Deadline` */
  readonly log?: (level: 'log' | 'warn', line: Record<string, unknown>) => void;
}

const logger = new Logger('Deadline');
const defaultLog = (
  level: 'log' | 'warn',
  line: Record<string, unknown>,
): void => logger[level](line);
const defaultSkip = (method: string): boolean =>
  /^GET \/(metrics|_tracer|health)\b/.test(method);
const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * The `DeadlineModule` `onRequestEnd` hook with telemetry: deadline attributes on the server span,
 * the tier's metrics, the edge's recent-request buffer, and the request log line with its trace
 * and span ids.
 */
export function requestEndHook(
  options: RequestEndHookOptions,
): (event: RequestEndEvent) => void {
  const {
    telemetry,
    reserveMs,
    keepRecent = false,
    skipRecent = defaultSkip,
    log = defaultLog,
  } = options;
  return (event) => {
    const active = trace.getActiveSpan()?.spanContext();
    const server = active && telemetry.spans?.serverSpanOf(active.spanId);
    if (server?.isRecording()) {
      server.setAttributes(attributesOf(event, reserveMs));
      // HTTP spans are named by verb only until someone knows the route; the edge does.
      const route = /^([A-Z]+) (\/\S*)$/.exec(event.method);
      if (route) {
        server.updateName(event.method);
        server.setAttribute('http.route', route[2]);
      }
    }
    const ids = server?.spanContext() ?? active;

    telemetry.metrics.requestEnded(
      event.method,
      event.receivedBudgetMs,
      event.outcome,
    );
    // A stream's own line (`stream ended`) carries its record; the request line stays as for any request.
    const {
      hops,
      stream: _stream,
      ...fields
    } = event as RequestEndEvent & {
      hops?: readonly HopRecord[];
    };
    if (keepRecent && !skipRecent(event.method)) {
      telemetry.recent.add({
        endedAt: Date.now(),
        method: event.method,
        outcome: event.outcome,
        budgetMs: event.receivedBudgetMs,
        spentMs: event.spentMs,
        reason: event.reason,
        traceId: ids?.traceId,
        hops: hops ?? [ownHop(event)],
        ...(event.stream
          ? {
              stream: {
                firstMessageMs: event.stream.firstMessageMs,
                messages: event.stream.messages,
                end: event.stream.end,
              },
            }
          : {}),
      });
    }
    const line = {
      msg: 'request ended',
      ...fields,
      spentMs: round(event.spentMs),
      remainingMs: round(event.remainingMs),
      traceId: ids?.traceId,
      spanId: ids?.spanId,
    };
    log(event.outcome === 'ok' ? 'log' : 'warn', line);
  };
}

/** The deadline attributes of a server span, from the tier's request-end record. */
export function attributesOf(
  event: RequestEndEvent,
  reserveMs: number,
): Attributes {
  const received = event.receivedBudgetMs;
  const attributes: Attributes = {
    [DeadlineAttr.HOP]: event.hop,
    [DeadlineAttr.SPENT_MS]: event.spentMs,
    [DeadlineAttr.REMAINING_END_MS]: round(event.remainingMs),
    [DeadlineAttr.RESERVE_MS]: reserveMs,
    [DeadlineAttr.OUTCOME]: event.outcome,
  };
  if (received === null) attributes[DeadlineAttr.MISSING] = true;
  else {
    attributes[DeadlineAttr.RECEIVED_MS] = received;
    attributes[DeadlineAttr.REMAINING_START_MS] = received;
  }
  if (event.forwardedBudgetMs !== null)
    attributes[DeadlineAttr.FORWARDED_MS] = event.forwardedBudgetMs;
  const decay = decayPct(
    received,
    event.forwardedBudgetMs ??
      (received === null ? null : Math.max(0, received - event.spentMs)),
  );
  if (decay !== undefined) attributes[DeadlineAttr.DECAY_PCT] = decay;
  if (event.outcome !== 'ok') attributes['error.type'] = event.outcome;
  if (event.stream) {
    attributes[DeadlineAttr.STREAM_KIND] = event.stream.kind;
    attributes[DeadlineAttr.STREAM_MESSAGES] = event.stream.messages;
    attributes[DeadlineAttr.STREAM_END] = event.stream.end;
    if (event.stream.firstMessageMs !== null)
      attributes[DeadlineAttr.STREAM_FIRST_MESSAGE_MS] =
        event.stream.firstMessageMs;
  }
  return attributes;
}

function ownHop(event: RequestEndEvent): HopRecord {
  const {
    service,
    method,
    receivedBudgetMs,
    spentMs,
    forwardedBudgetMs,
    outcome,
    replica,
  } = event;
  return {
    service,
    method,
    receivedBudgetMs,
    spentMs,
    forwardedBudgetMs,
    outcome,
    ...(replica ? { replica } : {}),
  };
}
