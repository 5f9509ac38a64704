import { AsyncResource } from 'node:async_hooks';
import { type CallHandler, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, Subscription, throwError } from 'rxjs';
import type { BudgetPolicy } from '../core/budget-policy.js';
import { CancelledError } from '../core/cancelled.error.js';
import { Deadline } from '../core/deadline.js';
import { runInScope } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { DeadlineScope } from '../core/deadline-scope.js';
import { failureOf } from '../core/failure.js';
import { IdleTimer } from '../core/idle-timer.js';
import { SlowConsumerError } from '../core/slow-consumer.error.js';
import { streamClosed, streamOpened } from '../core/stream-census.js';
import { StreamIdleError } from '../core/stream-idle.error.js';
import {
  streamEndOf,
  streamRecord,
  type StreamRecord,
} from '../core/stream-record.js';
import type { RequestEndEvent } from './deadline.options.js';
import { httpErrorBody } from './http-error-body.js';
import { edgeBudget, edgeMethodName } from './edge-budget.js';
import { attachScope } from './request-scope.js';

/** One server-sent event, as an `@DeadlineSse()` handler emits it. */
export interface SseEvent {
  /** The `event:` field (`order`); a client's `addEventListener(type)`. @default `message` */
  readonly event?: string;
  /** Sent as JSON on one `data:` line. */
  readonly data: unknown;
}

export interface SseDeadlineOptions {
  readonly service: string;
  /** This process's name among the edge's replicas, in its hop record. @default none */
  readonly replica?: string;
  readonly policy: BudgetPolicy;
  /** Longest silence between two events from the handler. @default Infinity (none) */
  readonly idleMs?: number;
  /**
   * Most bytes of events that may wait for a slow reader (written, not yet taken by the socket). The
   * handler's events are pushed, not pulled, so they cannot be paused: past this bound the stream
   * ends with an `error` event (`slow_consumer`, `reconnect`), and the handler is unsubscribed.
   * @default 1048576 (1 MiB)
   */
  readonly maxBufferedBytes?: number;
  /** The `error` codes the edge answers (as its error filter does). @default any */
  readonly errorCodes?: ReadonlySet<string>;
  /** Reconnect delay sent with an `UNAVAILABLE` or deadline end when the failure names none. @default 1000 */
  readonly reconnectMs?: number;
  readonly onRequestEnd: (event: RequestEndEvent) => void;
  readonly onStreamEnd?: (record: StreamRecord) => void;
}

/** Statuses after which a client is told to reconnect: the server drained (503) or the watch's budget ran out (504). */
const RECONNECT: ReadonlySet<number> = new Set([503, 504]);

const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The edge of a stream (`text/event-stream`): the budget from the same sources as a request's,
 * under the stream policy; the handler's Observable of {@link SseEvent}s runs with the deadline in
 * scope. Until the first event nothing is sent, so a failure then (unauthenticated, not found, a
 * malformed budget) is an ordinary JSON error answer. After it, every end is a final event: `end`
 * when the handler completes, `error` (the error body, `reconnect`, and a `retry:` field when the
 * client should come back) when it fails, the deadline passes, it goes quiet past the idle limit, or
 * the client reads so slowly that more than `maxBufferedBytes` wait to be sent.
 * A client that hangs up cancels the deadline, and so everything the handler started.
 */
export function interceptEventStream(
  context: ExecutionContext,
  next: CallHandler<unknown>,
  options: SseDeadlineOptions,
): Observable<unknown> {
  const http = context.switchToHttp();
  const request = http.getRequest<Request>();
  const response = http.getResponse<Response>();
  const resolved = edgeBudget(request, options.policy);
  if (!resolved.ok) return throwError(() => resolved.error);
  const { budgetMs, belowMinimum } = resolved.value;
  const method = edgeMethodName(request);
  const deadline = Deadline.after(belowMinimum ? 0 : budgetMs);
  const scope = new DeadlineScope(
    deadline,
    options.service,
    method,
    budgetMs,
    0,
    options.replica,
  );
  attachScope(request, scope);
  if (deadline.expired) {
    deadline.dispose();
    return throwError(
      () =>
        new DeadlineExceededError(
          belowMinimum
            ? `deadline exceeded: budget ${budgetMs} ms is below the minimum of ${options.policy.minBudgetMs} ms; no tier was called`
            : 'deadline exceeded: expired on arrival; no tier was called',
        ),
    );
  }

  const maxBufferedBytes =
    options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  return new Observable<unknown>((subscriber) => {
    let events = 0;
    let firstEventMs: number | null = null;
    let failure: unknown;
    let done = false;
    // A handler may fail while it is being subscribed to, before this holds its subscription.
    const inner = new Subscription();

    const commitHeaders = (): void => {
      if (response.headersSent) return;
      response.status(200);
      response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      response.setHeader('Cache-Control', 'no-cache, no-transform');
      // nginx and others would hold the events back to fill a buffer.
      response.setHeader('X-Accel-Buffering', 'no');
      response.flushHeaders();
    };
    const write = (text: string): void => {
      if (!response.destroyed && !response.writableEnded) response.write(text);
    };
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      failure = error;
      inner.unsubscribe();
      if (response.destroyed) {
        // The client left: nobody to tell.
        subscriber.next(null);
        subscriber.complete();
        return;
      }
      if (error !== undefined && !response.headersSent) {
        // Nothing sent yet: the error filter answers as for any request.
        subscriber.error(error);
        return;
      }
      commitHeaders();
      if (error === undefined) {
        write(
          `event: end\ndata: ${JSON.stringify({ outcome: 'completed' })}\n\n`,
        );
      } else if (!CancelledError.is(error)) {
        const body = httpErrorBody(error, {
          hops: scope.hops(failureOf(error).outcome),
          codes: options.errorCodes,
        });
        const reconnect =
          RECONNECT.has(body.statusCode) || SlowConsumerError.is(error);
        const { retryAfterMs } = (error ?? {}) as { retryAfterMs?: unknown };
        const retry = reconnect
          ? `retry: ${Math.ceil(typeof retryAfterMs === 'number' ? retryAfterMs : (options.reconnectMs ?? 1_000))}\n`
          : '';
        write(
          `${retry}event: error\ndata: ${JSON.stringify({ ...body, reconnect })}\n\n`,
        );
      }
      if (!response.writableEnded) response.end();
      subscriber.next(null);
      subscriber.complete();
    };

    // 'close' fires in the socket's async context; the abort runs in the request's.
    const requestContext = new AsyncResource('DeadlineEventStream');
    const onClose = (): void => {
      if (!response.writableFinished)
        requestContext.runInAsyncScope(() =>
          deadline.cancel(
            new CancelledError('the client closed the connection'),
          ),
        );
    };
    const onAbort = (): void => finish(deadline.signal.reason);
    const idle = new IdleTimer(options.idleMs ?? Infinity, () =>
      finish(new StreamIdleError(options.idleMs ?? 0, 'the event stream')),
    );
    response.on('close', onClose);
    streamOpened('server');
    deadline.signal.addEventListener('abort', onAbort, { once: true });

    inner.add(
      runInScope(scope, () =>
        next.handle().subscribe({
          next: (value) => {
            if (done) return;
            const event = value as SseEvent;
            idle.touch();
            if (events++ === 0) firstEventMs = deadline.elapsed();
            commitHeaders();
            write(
              `id: ${events}\nevent: ${event.event ?? 'message'}\ndata: ${JSON.stringify(event.data)}\n\n`,
            );
            // Node holds what the socket has not taken; a reader that stays behind would hold it without
            // end. The final event goes after the backlog, so the client reads it once it catches up.
            if (response.writableLength > maxBufferedBytes)
              finish(
                new SlowConsumerError(maxBufferedBytes, 'the event stream'),
              );
          },
          error: (error: unknown) => finish(error),
          complete: () => finish(),
        }),
      ),
    );

    return () => {
      done = true;
      inner.unsubscribe();
      response.off('close', onClose);
      deadline.signal.removeEventListener('abort', onAbort);
      idle.dispose();
      streamClosed('server');
      const reason: unknown =
        failure ??
        (deadline.signal.aborted
          ? (deadline.signal.reason as unknown)
          : undefined);
      const outcome = reason === undefined ? 'ok' : failureOf(reason).outcome;
      const hops = scope.hops(outcome);
      const remainingMs = deadline.remaining();
      const aborted = deadline.signal.aborted;
      const record = streamRecord({
        service: options.service,
        method,
        kind: 'server',
        side: 'server',
        budgetMs,
        firstMessageMs: firstEventMs,
        messages: events,
        durationMs: deadline.elapsed(),
        end: streamEndOf(reason),
        ...(reason instanceof Error ? { reason: reason.message } : {}),
      });
      deadline.dispose();
      options.onRequestEnd({
        ...hops[0],
        hop: 0,
        remainingMs,
        aborted,
        reason: reason instanceof Error ? reason.message : undefined,
        hops,
        stream: record,
      });
      options.onStreamEnd?.(record);
    };
  });
}
