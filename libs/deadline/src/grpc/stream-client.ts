import {
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  Metadata,
  type MethodDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { CancelledError } from '../core/cancelled.error.js';
import { currentScope } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import {
  decodeHops,
  type HopRecord,
  HOPS_METADATA_KEY,
} from '../core/hop-record.js';
import { IdleTimer } from '../core/idle-timer.js';
import { linkSignals } from '../core/link-signals.js';
import { reportLostDeadline } from '../core/lost-deadline.js';
import { streamClosed, streamOpened } from '../core/stream-census.js';
import { StreamIdleError } from '../core/stream-idle.error.js';
import {
  streamEndOf,
  streamRecord,
  type StreamKind,
  type StreamRecord,
} from '../core/stream-record.js';
import { failureOf } from '../core/failure.js';
import { toDownstreamError } from './unary-transport.js';
import { HOP_METADATA_KEY } from './metadata-keys.js';

export interface StreamCallOptions {
  /** Extra cancellation for this stream only (the SSE client hung up, the consumer gave up). */
  readonly signal?: AbortSignal;
  /** Longest silence between two messages, and before the first. @default the client's `idleMs` */
  readonly idleMs?: number;
}

/**
 * The streaming methods of a service, carrying the current deadline by themselves: a server stream
 * is an `AsyncIterable` of replies, a client stream takes an `AsyncIterable` of requests and
 * resolves to the reply, a bidi stream takes one and is the other.
 */
export type StreamClient<T> = {
  [K in keyof T]: T[K] extends (request: infer Req) => AsyncIterable<infer Res>
    ? (request: Req, options?: StreamCallOptions) => AsyncIterable<Res>
    : T[K] extends (requests: AsyncIterable<infer Req>) => Promise<infer Res>
      ? (
          requests: AsyncIterable<Req>,
          options?: StreamCallOptions,
        ) => Promise<Res>
      : never;
};

export interface StreamClientOptions {
  /** Downstream name, for records, logs and breakers. */
  readonly service: string;
  /** Time kept back for the last message and the status to travel home. @default 10 */
  readonly reserveMs?: number;
  /** Local ceiling for any stream to this downstream. @default Infinity */
  readonly capMs?: number;
  /** Idle limit between two messages (either way), and before the first. @default Infinity (none) */
  readonly idleMs?: number;
  /** Budget for a stream opened with no deadline in scope (the bug this project hunts). @default 5000 */
  readonly noDeadlineBudgetMs?: number;
  /** Told about every stream opened with no deadline in scope; may throw to refuse it. @default the lost-deadline guard */
  readonly onMissingDeadline?: (service: string, method: string) => void;
  /** Told once per stream when it ends, however it ends. @default nothing */
  readonly onStreamEnd?: (record: StreamRecord) => void;
  /**
   * Guards the start of server streams (breaker, retry before the first message). Client and bidi
   * streams are not guarded: their requests cannot be sent again. @default none
   */
  readonly startGuard?: StreamStartGuard;
  /** Bounds the streams open to this downstream at once, apart from unary calls. @default none */
  readonly limit?: StreamLimit;
}

/** One attempt to start a stream, as a start guard grants it. */
export interface StreamAttempt {
  /** Aborting it before the first message gives this attempt up (the breaker opened, the attempt's own deadline). */
  readonly signal: AbortSignal;
}

/**
 * Wraps the start of a server stream, up to its first message (or its end, if it sends none): where a
 * breaker counts the start (not the stream's long life) and a retry may open it again. `open` resolves
 * at the first message and rejects if the attempt fails before it.
 */
export type StreamStartGuard = (
  start: {
    readonly method: string;
    readonly budgetMs: number;
    readonly signal: AbortSignal;
  },
  open: (attempt: StreamAttempt) => Promise<void>,
) => Promise<void>;

/** Holds a slot for a stream's whole life: resolves to the release, or rejects to refuse the stream (a bulkhead of open streams). */
export type StreamLimit = (signal: AbortSignal) => Promise<() => void>;

/** Replies a reader holds before it pauses the call (HTTP/2 flow control then holds the server). */
const HIGH_WATER = 16;

type Definition = Record<
  string,
  MethodDefinition<unknown, unknown> & { originalName?: string }
>;

/**
 * Wraps a grpc-js client so its streaming methods take the whole-call budget from the current
 * deadline (`min(remaining, cap) − reserve`, grpc-js's `deadline` option, so `grpc-timeout` is on
 * the wire), are cancelled on the wire when that deadline aborts, when the consumer stops reading
 * or when the idle limit passes, and report the downstream's hop records into the current scope.
 * Unary methods are left to {@link createDeadlineClient}.
 */
export function createStreamClient<T>(
  raw: Client,
  options: StreamClientOptions,
): StreamClient<T> {
  const definition = (raw.constructor as unknown as { service?: Definition })
    .service;
  if (!definition)
    throw new TypeError(
      `createStreamClient(${options.service}): not a grpc-js generated client`,
    );
  const client: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition)) {
    if (!method.requestStream && !method.responseStream) continue;
    // The proto's name (`WatchOrder`), for records and logs, whatever the key's case.
    const name = method.path.split('/').pop() ?? key;
    const kind: StreamKind = method.requestStream
      ? method.responseStream
        ? 'bidi'
        : 'client'
      : 'server';
    const call =
      kind === 'client'
        ? async (input: unknown, callOptions?: StreamCallOptions) => {
            for await (const reply of openStream(
              raw,
              method,
              name,
              kind,
              input,
              options,
              callOptions,
            ))
              return reply;
            throw new TypeError(`${options.service}.${name} sent no reply`);
          }
        : (input: unknown, callOptions?: StreamCallOptions) =>
            openStream(raw, method, name, kind, input, options, callOptions);
    client[key] = call;
    if (method.originalName) client[method.originalName] = call;
  }
  return client as StreamClient<T>;
}

/**
 * One stream. The scope is read now (the caller's request), the call starts when the first reply
 * is asked for, and ends (cancelled on the wire if still open) when the reader stops.
 */
function openStream(
  raw: Client,
  method: MethodDefinition<unknown, unknown>,
  name: string,
  kind: StreamKind,
  input: unknown,
  options: StreamClientOptions,
  callOptions: StreamCallOptions | undefined,
): AsyncIterable<unknown> {
  const {
    service,
    reserveMs = 10,
    capMs = Infinity,
    noDeadlineBudgetMs = 5_000,
    onMissingDeadline = (s: string, m: string) =>
      reportLostDeadline('grpc', `${s}.${m}`),
    onStreamEnd,
    startGuard,
    limit,
  } = options;
  const idleMs = callOptions?.idleMs ?? options.idleMs ?? Infinity;
  const scope = currentScope();
  let budgetMs: number;
  if (scope) {
    budgetMs = scope.deadline.budgetFor({ reserveMs, capMs });
    if (budgetMs <= 0)
      throw new DeadlineExceededError(
        `no budget left to open ${service}.${name} (${scope.deadline.remaining().toFixed(1)} ms remaining, ${reserveMs} ms reserve)`,
      );
    scope.recordForward(budgetMs);
  } else {
    onMissingDeadline(service, name);
    budgetMs = Math.min(noDeadlineBudgetMs, capMs);
  }

  async function* run(): AsyncGenerator<unknown> {
    const startedAt = performance.now();
    const link = linkSignals(scope?.deadline.signal, callOptions?.signal);
    const metadata = new Metadata();
    metadata.set(HOP_METADATA_KEY, String((scope?.hop ?? 0) + 1));
    const queue: unknown[] = [];
    let finished = false;
    let failure: unknown;
    let firstMessageMs: number | null = null;
    let messages = 0;
    let answered = false;
    let wake: (() => void) | undefined;
    let over: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (over = resolve));
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      failure = error;
      over();
      notify();
    };
    const collect = (received: Metadata | undefined): void => {
      const hops = decodeHops(received?.get(HOPS_METADATA_KEY)[0]);
      if (hops.length) {
        answered = true;
        scope?.recordDownstream(hops);
      }
    };
    const fromWire = (error: ServiceError): void =>
      finish(toDownstreamError(error, service, name, budgetMs, { messages }));

    let grpcCall:
      | ClientReadableStream<unknown>
      | ClientWritableStream<unknown>
      | ClientDuplexStream<unknown, unknown>
      | undefined;
    const stop = (error: unknown): void => {
      if (finished) return;
      finish(error);
      grpcCall?.cancel();
    };
    const onAbort = (): void => stop(link.signal.reason);
    const idle = new IdleTimer(idleMs, () =>
      stop(new StreamIdleError(idleMs, `${service}.${name}`)),
    );
    const received = (message: unknown): void => {
      idle.touch();
      if (messages++ === 0) firstMessageMs = performance.now() - startedAt;
      queue.push(message);
      if (queue.length >= HIGH_WATER)
        (grpcCall as ClientReadableStream<unknown> | undefined)?.pause();
      notify();
    };

    const detach = (call: ClientReadableStream<unknown>): void => {
      // grpc-js may still report a cancelled call; an unheard 'error' would throw.
      call.removeAllListeners().on('error', () => undefined);
    };
    /** One attempt at a server stream: resolves at its first message (or clean end), rejects if it fails before. */
    const openAttempt = (attempt: StreamAttempt): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (finished) return resolve();
        if (attempt.signal.aborted) return reject(attempt.signal.reason);
        const leftMs = budgetMs - (performance.now() - startedAt);
        const call = raw.makeServerStreamRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          input,
          metadata.clone(),
          { deadline: Date.now() + leftMs },
        );
        grpcCall = call;
        let started = false;
        const onAttemptAbort = (): void => {
          if (started) return;
          detach(call);
          call.cancel();
          reject(attempt.signal.reason);
        };
        const begin = (): void => {
          if (started) return;
          started = true;
          // From here on the stream lives by its own deadline: a breaker that opens later leaves it be.
          attempt.signal.removeEventListener('abort', onAttemptAbort);
          resolve();
        };
        attempt.signal.addEventListener('abort', onAttemptAbort, {
          once: true,
        });
        call.on('metadata', collect);
        call.on('status', (status: StatusObject) => collect(status.metadata));
        call.on('data', (message: unknown) => {
          begin();
          received(message);
        });
        call.on('end', () => {
          begin();
          finish();
        });
        call.on('error', (error: ServiceError) => {
          collect(error.metadata);
          const failure: unknown = link.signal.aborted
            ? link.signal.reason
            : toDownstreamError(error, service, name, budgetMs, { messages });
          if (started || finished) {
            finish(failure);
            return;
          }
          attempt.signal.removeEventListener('abort', onAttemptAbort);
          detach(call);
          reject(failure);
        });
      });

    scope?.callStarted();
    streamOpened('client');
    let release: (() => void) | undefined;
    try {
      if (link.signal.aborted) throw link.signal.reason;
      if (limit) release = await limit(link.signal);
      const callOptionsOnWire = { deadline: Date.now() + budgetMs };
      link.signal.addEventListener('abort', onAbort, { once: true });
      if (kind === 'server') {
        const started = startGuard
          ? startGuard(
              { method: name, budgetMs, signal: link.signal },
              openAttempt,
            )
          : openAttempt({ signal: link.signal });
        started.catch((error: unknown) => finish(error));
      } else {
        if (kind === 'client') {
          grpcCall = raw.makeClientStreamRequest(
            method.path,
            method.requestSerialize,
            method.responseDeserialize,
            metadata,
            callOptionsOnWire,
            (error: ServiceError | null, reply?: unknown) => {
              if (error) {
                collect(error.metadata);
                fromWire(error);
                return;
              }
              received(reply);
              finish();
            },
          );
        } else {
          grpcCall = raw.makeBidiStreamRequest(
            method.path,
            method.requestSerialize,
            method.responseDeserialize,
            metadata,
            callOptionsOnWire,
          );
        }
        const live = grpcCall;
        live.on('metadata', collect);
        live.on('status', (status: StatusObject) => collect(status.metadata));
        if (kind === 'bidi') {
          const readable = live as ClientReadableStream<unknown>;
          readable.on('data', received);
          readable.on('end', () => finish());
          readable.on('error', (error: ServiceError) => {
            collect(error.metadata);
            fromWire(error);
          });
        }
        void pump(
          input as AsyncIterable<unknown>,
          live as ClientWritableStream<unknown>,
          ended,
          () => idle.touch(),
          stop,
        );
      }

      for (;;) {
        if (queue.length > 0) {
          const message = queue.shift();
          if (queue.length === HIGH_WATER / 2)
            (grpcCall as ClientReadableStream<unknown> | undefined)?.resume();
          yield message;
          continue;
        }
        if (finished) {
          // Always an Error of ours (deadline, idle, DownstreamError) or the reader's own failure.
          // eslint-disable-next-line @typescript-eslint/only-throw-error
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } catch (error) {
      // Recorded as it ended (a downstream's status, our deadline, the idle limit).
      if (failure === undefined) failure = error;
      throw error;
    } finally {
      // The reader stopped early (break, return, its own failure): nobody wants the rest.
      if (!finished) stop(new CancelledError('the reader stopped reading'));
      link.signal.removeEventListener('abort', onAbort);
      idle.dispose();
      link.dispose();
      release?.();
      scope?.callEnded();
      streamClosed('client');
      // grpc-js may still report the cancelled call; nobody listens any more, and an unheard 'error' would throw.
      grpcCall?.removeAllListeners().on('error', () => undefined);
      const durationMs = performance.now() - startedAt;
      const end = streamEndOf(failure);
      const outcome = failure === undefined ? 'ok' : failureOf(failure).outcome;
      if (!answered && outcome !== 'error') {
        const ownView: HopRecord = {
          service,
          method: name,
          receivedBudgetMs: Math.round(budgetMs * 100) / 100,
          spentMs: Math.round(durationMs * 100) / 100,
          forwardedBudgetMs: null,
          outcome,
        };
        scope?.recordDownstream([ownView]);
      }
      onStreamEnd?.(
        streamRecord({
          service,
          method: name,
          kind,
          side: 'client',
          budgetMs,
          firstMessageMs,
          messages,
          durationMs,
          end,
          ...(failure instanceof Error ? { reason: failure.message } : {}),
        }),
      );
    }
  }

  return { [Symbol.asyncIterator]: () => run() };
}

/**
 * Writes the caller's requests to the call, waiting for `drain` when grpc-js's buffer is full,
 * then half-closes. Stops reading the caller's iterable once the stream has ended; a failure of
 * the iterable cancels the call with that failure.
 */
async function pump(
  requests: AsyncIterable<unknown>,
  call: ClientWritableStream<unknown>,
  ended: Promise<void>,
  touch: () => void,
  stop: (error: unknown) => void,
): Promise<void> {
  const iterator = requests[Symbol.asyncIterator]();
  let over = false;
  const stopped = ended.then(() => {
    over = true;
    return { done: true, value: undefined } as const;
  });
  let onDrain: (() => void) | undefined;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next.done || over) break;
      touch();
      if (!call.write(next.value))
        await Promise.race([
          new Promise<void>((resolve) => {
            onDrain = resolve;
            call.once('drain', resolve);
          }),
          stopped,
        ]);
    }
    if (!over) call.end();
  } catch (error) {
    stop(error);
  } finally {
    if (onDrain) call.off('drain', onDrain);
    if (over) void iterator.return?.();
  }
}
