import { Duplex, Readable } from 'node:stream';
import type { CallHandler } from '@nestjs/common';
import { Observable } from 'rxjs';
import { CancelledError } from '../core/cancelled.error.js';
import { runInScope } from '../core/deadline-context.js';
import { emitInScope } from '../core/emit-in-scope.js';
import { failureOf } from '../core/failure.js';
import { IdleTimer } from '../core/idle-timer.js';
import { trackOpenStream } from '../core/open-streams.js';
import { streamClosed, streamOpened } from '../core/stream-census.js';
import { StreamIdleError } from '../core/stream-idle.error.js';
import {
  streamEndOf,
  streamRecord,
  type StreamKind,
  type StreamRecord,
} from '../core/stream-record.js';
import { hopsMetadata, toGrpcError } from '../grpc/grpc-error.js';
import { openServerScope, type ServerCallLike } from '../grpc/server-scope.js';
import { streamKindOf } from '../grpc/stream-methods.js';
import type { RequestEndEvent } from './deadline.options.js';

/** A grpc-js server call that streams one way or both (ServerWritableStream, ServerReadableStream, ServerDuplexStream). */
export type GrpcStreamCall = ServerCallLike & {
  getPath?: () => string;
  sendMetadata(metadata: unknown): void;
  write?: (message: unknown) => boolean;
  end?: (metadata?: unknown) => unknown;
  read?: unknown;
  readonly writableNeedDrain?: boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  on(event: 'data', listener: () => void): unknown;
  removeListener(event: 'data', listener: () => void): unknown;
};

export interface GrpcStreamDeadlineOptions {
  readonly service: string;
  readonly fallbackBudgetMs: number;
  /** This process's name among the tier's replicas, in its hop records. @default none */
  readonly replica?: string;
  /** Longest silence between two messages from the client (client and bidi streams). @default Infinity (none) */
  readonly idleMs?: number;
  readonly onRequestEnd: (event: RequestEndEvent) => void;
  readonly onStreamEnd?: (record: StreamRecord) => void;
}

/**
 * True for a call to a method that streams, as registered from its proto ({@link registerStreamMethods}):
 * grpc-js ≥ 1.14 hands unary handlers a ServerWritableStream too, so the call's class cannot tell.
 */
export function isGrpcStreamCall(call: unknown): call is GrpcStreamCall {
  return streamKindOf(pathOf(call)) !== undefined;
}

const pathOf = (call: unknown): string | undefined =>
  (call as { getPath?: () => string } | null)?.getPath?.();

function kindOf(call: GrpcStreamCall): StreamKind {
  const registered = streamKindOf(pathOf(call));
  if (registered) return registered;
  if (call instanceof Duplex) return 'bidi';
  return call instanceof Readable ? 'client' : 'server';
}

/**
 * The server side of a stream, for the gRPC deadline interceptor: the whole call runs under the
 * caller's deadline (`grpc-timeout`); when it passes, the caller cancels, the client goes quiet past
 * the idle limit, or the server drains ({@link endOpenStreams}), the handler's Observable is
 * unsubscribed (its work stops) and the call ends with that status, this tier's hop record in the
 * trailers. A stream that ends well carries its hop record in the trailers too.
 */
export function interceptGrpcStream(
  call: GrpcStreamCall,
  method: string,
  next: CallHandler<unknown>,
  options: GrpcStreamDeadlineOptions,
): Observable<unknown> {
  const kind = kindOf(call);
  return new Observable<unknown>((subscriber) => {
    const { scope, close } = openServerScope(call, method, options);
    const { deadline } = scope;
    let messages = 0;
    let firstMessageMs: number | null = null;
    let failure: unknown;
    let done = false;
    let completed = false;

    const fail = (error: unknown): void => {
      if (done) return;
      done = true;
      failure = error;
      subscriber.error(
        toGrpcError(error, scope.hops(failureOf(error).outcome)),
      );
    };
    const onAbort = (): void => fail(deadline.signal.reason);
    const idle = new IdleTimer(
      kind === 'server' ? Infinity : (options.idleMs ?? Infinity),
      () => fail(new StreamIdleError(options.idleMs ?? 0, 'the client')),
    );
    const onData = (): void => idle.touch();
    const untrack = trackOpenStream(fail);
    streamOpened('server');

    const expired = deadline.reason;
    let inner: { unsubscribe(): void } | undefined;
    let unscopeEvents = (): void => undefined;
    if (expired) {
      // Expired on arrival: no user code runs.
      fail(expired);
    } else {
      deadline.signal.addEventListener('abort', onAbort, { once: true });
      if (kind !== 'server') {
        call.on('data', onData);
        // Each request message, and the stream's end, reach the handler (Nest's Observable of requests,
        // or its own 'data' listeners) inside this call's scope: per-message work sees the deadline.
        unscopeEvents = emitInScope(call, scope);
      }
      // Subscribed in the scope, so the handler's work (however it is deferred) sees the deadline.
      inner = runInScope(scope, () =>
        next.handle().subscribe({
          next: (message) => {
            if (messages++ === 0) firstMessageMs = deadline.elapsed();
            if (kind === 'client')
              call.sendMetadata(hopsMetadata(scope.hops('ok')));
            subscriber.next(message);
          },
          error: fail,
          complete: () => {
            if (done) return;
            done = true;
            completed = true;
            // Nest ends the call right after; ending it here first puts our record in the trailers. Not
            // while Nest still holds replies waiting for 'drain': they must go out before the end.
            if (kind !== 'client' && call.end && !call.writableNeedDrain)
              call.end(hopsMetadata(scope.hops('ok')));
            subscriber.complete();
          },
        }),
      );
    }

    return () => {
      done = true;
      inner?.unsubscribe();
      deadline.signal.removeEventListener('abort', onAbort);
      call.removeListener('data', onData);
      unscopeEvents();
      idle.dispose();
      untrack();
      streamClosed('server');
      // Unsubscribed before the handler completed or failed: the caller cancelled (Nest unsubscribes on
      // 'cancelled', before the scope's own listener hears it).
      const reason: unknown =
        failure ??
        (deadline.signal.aborted
          ? (deadline.signal.reason as unknown)
          : completed
            ? undefined
            : new CancelledError('the caller cancelled the stream'));
      const own = scope.record(
        reason === undefined ? 'ok' : failureOf(reason).outcome,
      );
      const aborted = deadline.signal.aborted;
      const remainingMs = deadline.remaining();
      // Work the handler started outside its Observable (a promise, a query, a downstream call) listens
      // to the scope's signal, not to the unsubscribe: abort it too, before the scope closes, or a
      // cancelled call's write still lands.
      if (!completed && !aborted)
        deadline.cancel(
          reason instanceof Error
            ? reason
            : new CancelledError('the stream ended before its handler'),
        );
      const record = streamRecord({
        service: options.service,
        method,
        kind,
        side: 'server',
        budgetMs: scope.receivedBudgetMs,
        firstMessageMs,
        messages,
        durationMs: deadline.elapsed(),
        end: streamEndOf(reason),
        ...(reason instanceof Error ? { reason: reason.message } : {}),
      });
      close();
      options.onRequestEnd({
        ...own,
        hop: scope.hop,
        remainingMs,
        aborted,
        reason: reason instanceof Error ? reason.message : undefined,
        stream: record,
      });
      options.onStreamEnd?.(record);
    };
  });
}
