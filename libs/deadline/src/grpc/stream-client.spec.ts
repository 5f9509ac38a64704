import { getEventListeners } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { CancelledError } from '../core/cancelled.error.js';
import { Deadline } from '../core/deadline.js';
import { currentScope, runWithDeadline } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { GrpcStatus } from '../core/grpc-status.js';
import { endOpenStreams, openStreamCount } from '../core/open-streams.js';
import { StreamIdleError } from '../core/stream-idle.error.js';
import type { StreamRecord } from '../core/stream-record.js';
import {
  type GrpcStreamCall,
  interceptGrpcStream,
} from '../nest/grpc-stream-deadline.js';
import { DownstreamError } from '../core/downstream.error.js';
import { createStreamClient } from './stream-client.js';
import { registerStreamMethods } from './stream-methods.js';

// A real grpc-js server on port 0, its handlers behind the server side of the library exactly as Nest
// calls them (an Observable per call, written to the call, unsubscribed when the call is cancelled).
interface Tick {
  seq: number;
  /** The budget the server saw on arrival. */
  budgetMs: number | null;
}
interface WatchRequest {
  /** Messages to send before falling silent (forever when absent). */
  count?: number;
  intervalMs: number;
  /** The first call with this key fails with UNAVAILABLE before any message; later ones stream. */
  failFirst?: string;
}
const failedOnce = new Set<string>();

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
};
const method = (
  name: string,
  requestStream: boolean,
  responseStream: boolean,
): grpc.MethodDefinition<unknown, unknown> => ({
  path: `/test.v1.Streams/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const definition = {
  watch: method('Watch', false, true),
  collect: method('Collect', true, false),
  chat: method('Chat', true, true),
};
const StreamsClient = grpc.makeGenericClientConstructor(definition, 'Streams');
// As a server does from its proto: which methods stream.
registerStreamMethods({ 'test.v1.Streams': definition });

interface Streams {
  watch(request: WatchRequest): AsyncIterable<Tick>;
  collect(
    requests: AsyncIterable<{ n: number }>,
  ): Promise<{ sum: number; budgetMs: number | null }>;
  chat(requests: AsyncIterable<{ n: number }>): AsyncIterable<{ n: number }>;
}

/** Server-side work running now: each handler's Observable counts itself in and out. */
let running = 0;
let workStopped: (() => void) | undefined;
const serverEnds: StreamRecord[] = [];

function watchTicks(request: WatchRequest): Observable<Tick> {
  return new Observable<Tick>((subscriber) => {
    running++;
    const budgetMs = currentScope()?.receivedBudgetMs ?? null;
    let seq = 0;
    const send = (): void => {
      if (request.count !== undefined && seq >= request.count) return;
      subscriber.next({ seq: seq++, budgetMs });
    };
    send();
    const timer = setInterval(send, request.intervalMs);
    return () => {
      clearInterval(timer);
      running--;
      workStopped?.();
    };
  });
}

const options = {
  service: 'streams',
  fallbackBudgetMs: 10_000,
  onRequestEnd: () => undefined,
  onStreamEnd: (record: StreamRecord) => serverEnds.push(record),
};

/** As Nest's server does for a handler's Observable: write each value, end on complete, emit the error. */
function serveObservable(
  call: GrpcStreamCall &
    (
      | grpc.ServerWritableStream<unknown, unknown>
      | grpc.ServerDuplexStream<unknown, unknown>
    ),
  name: string,
  handler: () => Observable<unknown>,
): void {
  const subscription = interceptGrpcStream(
    call,
    name,
    { handle: handler },
    { ...options, idleMs: 150 },
  ).subscribe({
    next: (value) => call.write(value),
    error: (error: unknown) => call.emit('error', error),
    complete: () => call.end(),
  });
  call.on('cancelled', () => subscription.unsubscribe());
}

function requestsOf(
  call: grpc.ServerReadableStream<unknown, unknown>,
): Observable<{ n: number }> {
  return new Observable((subscriber) => {
    call.on('data', (m: { n: number }) => subscriber.next(m));
    call.on('end', () => subscriber.complete());
  });
}

describe(createStreamClient.name, () => {
  let server: grpc.Server;
  let raw: grpc.Client;
  let client: ReturnType<typeof createStreamClient<Streams>>;
  const clientEnds: StreamRecord[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(definition, {
      watch: (
        call: GrpcStreamCall & grpc.ServerWritableStream<WatchRequest, Tick>,
      ) => {
        const key = call.request.failFirst;
        if (key !== undefined && !failedOnce.has(key)) {
          failedOnce.add(key);
          call.emit('error', {
            code: grpc.status.UNAVAILABLE,
            details: 'warming up',
          });
          return;
        }
        serveObservable(call, 'Watch', () => watchTicks(call.request));
      },
      collect: (
        call: GrpcStreamCall & grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        let sum = 0;
        const budgetMs = currentScope()?.receivedBudgetMs ?? null;
        interceptGrpcStream(
          call,
          'Collect',
          {
            handle: () =>
              new Observable((subscriber) => {
                const seen = currentScope()?.receivedBudgetMs ?? budgetMs;
                return requestsOf(call).subscribe({
                  next: (m) => (sum += m.n),
                  complete: () => {
                    subscriber.next({ sum, budgetMs: seen });
                    subscriber.complete();
                  },
                });
              }),
          },
          { ...options, idleMs: 150 },
        ).subscribe({
          next: (reply) => callback(null, reply),
          error: (error: grpc.ServiceError) => callback(error),
        });
      },
      chat: (
        call: GrpcStreamCall & grpc.ServerDuplexStream<unknown, unknown>,
      ) => serveObservable(call, 'Chat', () => requestsOf(call)),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    raw = new StreamsClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    client = createStreamClient<Streams>(raw, {
      service: 'streams',
      reserveMs: 10,
      onMissingDeadline: () => undefined,
      onStreamEnd: (record) => clientEnds.push(record),
    });
  });

  afterAll(() => {
    raw.close();
    server.forceShutdown();
  });

  const stopped = (): Promise<void> =>
    new Promise((resolve) => {
      if (running === 0) return resolve();
      workStopped = () => {
        if (running === 0) resolve();
      };
    });

  async function collect<T>(
    stream: AsyncIterable<T>,
    max = Infinity,
  ): Promise<{ got: T[]; error?: unknown }> {
    const got: T[] = [];
    try {
      for await (const item of stream) {
        got.push(item);
        if (got.length >= max) break;
      }
      return { got };
    } catch (error) {
      return { got, error };
    }
  }

  describe('server streaming', () => {
    it('sends the caller’s remaining budget less the reserve as the whole-call deadline', async () => {
      const deadline = Deadline.after(2_000);
      const { got } = await runWithDeadline(deadline, () =>
        collect(client.watch({ count: 3, intervalMs: 5 }), 3),
      );
      deadline.dispose();
      expect(got.map((t) => t.seq)).toEqual([0, 1, 2]);
      expect(got[0].budgetMs).toBeGreaterThan(1_900);
      expect(got[0].budgetMs).toBeLessThanOrEqual(1_990);
      await stopped();
    });

    it('ends the stream at its deadline, with the messages sent until then, and stops the server’s work', async () => {
      const deadline = Deadline.after(300);
      const started = performance.now();
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(client.watch({ intervalMs: 20 })),
      );
      const tookMs = performance.now() - started;
      expect(got.length).toBeGreaterThan(3);
      expect(
        DeadlineExceededError.is(error) ||
          (DownstreamError.is(error) &&
            error.code === GrpcStatus.DEADLINE_EXCEEDED),
      ).toBe(true);
      expect(tookMs).toBeGreaterThan(250);
      expect(tookMs).toBeLessThan(1_500);
      await stopped();
      expect(running).toBe(0);
    });

    it('says a stream ran to the end of its budget, not that it got no answer', async () => {
      // A reserve this large makes the call's own (wire) deadline pass well before the caller's.
      const reserving = createStreamClient<Streams>(raw, {
        service: 'streams',
        reserveMs: 300,
        onMissingDeadline: () => undefined,
      });
      const deadline = Deadline.after(600);
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(reserving.watch({ intervalMs: 20 })),
      );
      deadline.dispose();
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.DEADLINE_EXCEEDED,
      );
      expect((error as Error).message).toMatch(
        new RegExp(
          `^streams\\.Watch failed: DEADLINE_EXCEEDED: the stream ran to the end of its \\d+ ms budget \\(${got.length} messages? received\\)$`,
        ),
      );
      await stopped();
    });

    it('ends a stream that goes quiet past its idle limit with StreamIdleError', async () => {
      const deadline = Deadline.after(5_000);
      const started = performance.now();
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(client.watch({ count: 1, intervalMs: 10 }, { idleMs: 100 })),
      );
      deadline.dispose();
      expect(got).toHaveLength(1);
      expect(StreamIdleError.is(error)).toBe(true);
      expect(performance.now() - started).toBeLessThan(1_000);
      await stopped();
      expect(clientEnds.at(-1)).toMatchObject({
        method: 'Watch',
        kind: 'server',
        side: 'client',
        messages: 1,
        end: 'idle_timeout',
      });
    });

    it('cancels the call on the wire when the reader stops, and the server’s work stops', async () => {
      const deadline = Deadline.after(5_000);
      const { got } = await runWithDeadline(deadline, () =>
        collect(client.watch({ intervalMs: 5 }), 2),
      );
      deadline.dispose();
      expect(got).toHaveLength(2);
      await stopped();
      expect(running).toBe(0);
      expect(clientEnds.at(-1)).toMatchObject({
        end: 'cancelled',
        messages: 2,
      });
    });

    it('cancels the call when the caller’s deadline is cancelled (the client hung up)', async () => {
      const deadline = Deadline.after(5_000);
      const result = runWithDeadline(deadline, () =>
        collect(client.watch({ intervalMs: 5 })),
      );
      setTimeout(
        () =>
          deadline.cancel(
            new CancelledError('the client closed the connection'),
          ),
        100,
      );
      const { error } = await result;
      expect(CancelledError.is(error)).toBe(true);
      await stopped();
      expect(running).toBe(0);
      await vi.waitFor(() =>
        expect(serverEnds.at(-1)).toMatchObject({
          side: 'server',
          end: 'cancelled',
        }),
      );
    });

    it('ends open streams with UNAVAILABLE and a reconnect hint when the server drains', async () => {
      const deadline = Deadline.after(5_000);
      const result = runWithDeadline(deadline, () =>
        collect(client.watch({ intervalMs: 20 })),
      );
      await vi.waitFor(() => expect(openStreamCount()).toBe(1));
      expect(endOpenStreams()).toBe(1);
      const { got, error } = await result;
      deadline.dispose();
      expect(got.length).toBeGreaterThan(0);
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.UNAVAILABLE,
      );
      expect((error as DownstreamError).retryAfterMs).toBe(1_000);
      await stopped();
    });

    it('records the server’s end with time to first message and messages sent', async () => {
      const deadline = Deadline.after(2_000);
      await runWithDeadline(deadline, () =>
        collect(client.watch({ count: 2, intervalMs: 5 }), 2),
      );
      deadline.dispose();
      await vi.waitFor(() => expect(serverEnds.at(-1)?.end).toBe('cancelled'));
      const record = serverEnds.at(-1)!;
      expect(record).toMatchObject({
        method: 'Watch',
        kind: 'server',
        messages: 2,
      });
      expect(record.firstMessageMs).toBeGreaterThanOrEqual(0);
      expect(record.budgetMs).toBeGreaterThan(1_900);
    });
  });

  describe('start guard and limit', () => {
    it('lets a guard open the stream again when the first attempt fails before any message', async () => {
      const attempts: string[] = [];
      const guarded = createStreamClient<Streams>(raw, {
        service: 'streams',
        startGuard: (start, open) =>
          open({ signal: start.signal }).catch((error: unknown) => {
            attempts.push(
              (error as DownstreamError).code === GrpcStatus.UNAVAILABLE
                ? 'unavailable'
                : 'other',
            );
            return open({ signal: start.signal });
          }),
      });
      const deadline = Deadline.after(2_000);
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(
          guarded.watch({ count: 2, intervalMs: 5, failFirst: 'retry-me' }),
          2,
        ),
      );
      deadline.dispose();
      expect(error).toBeUndefined();
      expect(attempts).toEqual(['unavailable']);
      expect(got.map((t) => t.seq)).toEqual([0, 1]);
      await stopped();
    });

    it('fails the stream with the guard’s error when it gives up', async () => {
      const guarded = createStreamClient<Streams>(raw, {
        service: 'streams',
        startGuard: (start, open) => open({ signal: start.signal }),
      });
      const deadline = Deadline.after(2_000);
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(
          guarded.watch({ count: 2, intervalMs: 5, failFirst: 'give-up' }),
        ),
      );
      deadline.dispose();
      expect(got).toEqual([]);
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.UNAVAILABLE,
      );
    });

    it('holds a limit’s slot for the stream’s whole life and refuses past it', async () => {
      let open = 0;
      const limited = createStreamClient<Streams>(raw, {
        service: 'streams',
        limit: () => {
          if (open >= 1)
            return Promise.reject(new Error('one stream at a time'));
          open++;
          return Promise.resolve(() => open--);
        },
      });
      const deadline = Deadline.after(5_000);
      await runWithDeadline(deadline, async () => {
        const first = limited.watch({ intervalMs: 5 })[Symbol.asyncIterator]();
        await first.next();
        const second = await collect(limited.watch({ intervalMs: 5 }));
        expect((second.error as Error).message).toBe('one stream at a time');
        await first.return?.();
        expect(open).toBe(0);
        const third = await collect(
          limited.watch({ count: 1, intervalMs: 5 }),
          1,
        );
        expect(third.got).toHaveLength(1);
      });
      deadline.dispose();
      await stopped();
    });
  });

  describe('client streaming', () => {
    async function* numbers(
      count: number,
      everyMs = 0,
    ): AsyncGenerator<{ n: number }> {
      for (let n = 1; n <= count; n++) {
        if (everyMs)
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        yield { n };
      }
    }

    it('sends every request, then resolves to the reply, under the caller’s deadline', async () => {
      const deadline = Deadline.after(2_000);
      const reply = await runWithDeadline(deadline, () =>
        client.collect(numbers(5)),
      );
      deadline.dispose();
      expect(reply.sum).toBe(15);
      expect(reply.budgetMs).toBeGreaterThan(1_900);
      expect(reply.budgetMs).toBeLessThanOrEqual(1_990);
    });

    it('is ended by the server when the client goes quiet past the server’s idle limit', async () => {
      const deadline = Deadline.after(5_000);
      async function* stalls(): AsyncGenerator<{ n: number }> {
        yield { n: 1 };
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        yield { n: 2 };
      }
      const error = await runWithDeadline(deadline, () =>
        client.collect(stalls()),
      ).catch((e: unknown) => e);
      deadline.dispose();
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.DEADLINE_EXCEEDED,
      );
      expect((error as Error).message).toContain('idle limit');
    });

    it('fails with the deadline when the requests outlast it', async () => {
      const deadline = Deadline.after(200);
      const error = await runWithDeadline(deadline, () =>
        client.collect(numbers(100, 40)),
      ).catch((e: unknown) => e);
      expect(
        DeadlineExceededError.is(error) ||
          (DownstreamError.is(error) &&
            error.code === GrpcStatus.DEADLINE_EXCEEDED),
      ).toBe(true);
    });
  });

  describe('bidi streaming', () => {
    it('echoes each request as it goes, and ends when the requests end', async () => {
      const deadline = Deadline.after(2_000);
      async function* three(): AsyncGenerator<{ n: number }> {
        yield { n: 1 };
        yield { n: 2 };
        yield { n: 3 };
      }
      const { got, error } = await runWithDeadline(deadline, () =>
        collect(client.chat(three())),
      );
      deadline.dispose();
      expect(error).toBeUndefined();
      expect(got).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    });
  });

  it('leaves no timer, listener or open stream behind after 1,000 streams', async () => {
    const parent = Deadline.after(60_000);
    const timersBefore = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout').length;
    await runWithDeadline(parent, async () => {
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            collect(
              client.watch({ count: 2, intervalMs: 1 }, { idleMs: 5_000 }),
              i % 2 ? 1 : 2,
            ),
          ),
        );
      }
    });
    await stopped();
    await vi.waitFor(() => expect(openStreamCount()).toBe(0));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    const timersAfter = process
      .getActiveResourcesInfo()
      .filter((r) => r === 'Timeout').length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    parent.dispose();
  }, 60_000);
});
