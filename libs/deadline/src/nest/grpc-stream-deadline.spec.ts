import * as grpc from '@grpc/grpc-js';
import { concatMap, type Observable, Subject, toArray } from 'rxjs';
import { CancelledError } from '../core/cancelled.error.js';
import { currentDeadline } from '../core/deadline-context.js';
import { registerStreamMethods } from '../grpc/stream-methods.js';
import {
  type GrpcStreamCall,
  interceptGrpcStream,
} from './grpc-stream-deadline.js';

// A real grpc-js server on port 0 whose request-stream handlers are served as Nest serves a
// `@GrpcStreamMethod`: the call's 'data' events feed a Subject before the interceptor runs, and the
// handler gets that Subject as an Observable of requests.
const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString()),
};
const method = (
  name: string,
  responseStream: boolean,
): grpc.MethodDefinition<unknown, unknown> => ({
  path: `/test.v1.Lines/${name}`,
  requestStream: true,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const definition = {
  sum: method('Sum', false),
  echo: method('Echo', true),
  hold: method('Hold', false),
};
registerStreamMethods({ 'test.v1.Lines': definition });
const LinesClient = grpc.makeGenericClientConstructor(definition, 'Lines');

interface Line {
  n: number;
}
/** What one message's work saw: the deadline's remaining budget, or null when none was in scope. */
interface Seen {
  n: number;
  remainingMs: number | null;
}

/** Per-message work deferred past a tick, as a query or a downstream call would be. */
async function work(line: Line): Promise<Seen> {
  await new Promise((resolve) => setImmediate(resolve));
  return { n: line.n, remainingMs: currentDeadline()?.remaining() ?? null };
}

const perMessage = (requests: Observable<Line>): Observable<Seen> =>
  requests.pipe(concatMap(work));

/** As Nest's server does for a request stream: the Subject is fed from 'data' before the handler runs. */
function requestsOf(call: GrpcStreamCall): Observable<Line> {
  const requests = new Subject<Line>();
  (call as unknown as grpc.ServerReadableStream<Line, unknown>).on(
    'data',
    (line: Line) => requests.next(line),
  );
  (call as unknown as grpc.ServerReadableStream<Line, unknown>).on('end', () =>
    requests.complete(),
  );
  return requests.asObservable();
}

/** The Hold handler's work, started once the requests end and left running outside the Observable. */
let holding: { started: () => void; stopped: (reason: unknown) => void };

function hold(requests: Observable<Line>): Observable<never> {
  return requests.pipe(
    toArray(),
    concatMap(
      () =>
        new Promise<never>((_, reject) => {
          const signal = currentDeadline()!.signal;
          signal.addEventListener('abort', () => {
            holding.stopped(signal.reason);
            reject(signal.reason as Error);
          });
          holding.started();
        }),
    ),
  );
}

const options = {
  service: 'lines',
  fallbackBudgetMs: 10_000,
  onRequestEnd: () => undefined,
};

describe(interceptGrpcStream.name, () => {
  let server: grpc.Server;
  let client: grpc.Client & {
    sum: (
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, reply?: Seen[]) => void,
    ) => grpc.ClientWritableStream<Line>;
    hold: (
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null) => void,
    ) => grpc.ClientWritableStream<Line>;
    echo: (
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
    ) => grpc.ClientDuplexStream<Line, Seen>;
  };

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(definition, {
      sum: (
        call: GrpcStreamCall & grpc.ServerReadableStream<Line, Seen[]>,
        callback: grpc.sendUnaryData<Seen[]>,
      ) => {
        const requests = requestsOf(call);
        interceptGrpcStream(
          call,
          'Sum',
          { handle: () => perMessage(requests).pipe(toArray()) },
          options,
        ).subscribe({
          next: (reply) => callback(null, reply as Seen[]),
          error: (error: grpc.ServiceError) => callback(error),
        });
      },
      hold: (
        call: GrpcStreamCall & grpc.ServerReadableStream<Line, never>,
        callback: grpc.sendUnaryData<never>,
      ) => {
        const requests = requestsOf(call);
        // As Nest does (its takeUntil listens first): a cancelled call unsubscribes the handler's Observable
        // before the scope hears of it.
        call.on('cancelled', () => subscription.unsubscribe());
        const subscription = interceptGrpcStream(
          call,
          'Hold',
          { handle: () => hold(requests) },
          options,
        ).subscribe({ error: (error: grpc.ServiceError) => callback(error) });
      },
      echo: (call: GrpcStreamCall & grpc.ServerDuplexStream<Line, Seen>) => {
        const requests = requestsOf(call);
        interceptGrpcStream(
          call,
          'Echo',
          { handle: () => perMessage(requests) },
          options,
        ).subscribe({
          next: (seen) => call.write(seen),
          error: (error: unknown) => call.emit('error', error),
          complete: () => call.end(),
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    client = new LinesClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as typeof client;
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  /** Sends the lines one at a time, each after the server had a chance to take the previous one. */
  async function send(
    stream: grpc.ClientWritableStream<Line>,
    count: number,
  ): Promise<void> {
    for (let n = 1; n <= count; n++) {
      stream.write({ n });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stream.end();
  }

  it('runs the work of each message of a client stream under the call’s deadline', async () => {
    let call!: grpc.ClientWritableStream<Line>;
    const reply = new Promise<Seen[]>((resolve, reject) => {
      call = client.sum(
        new grpc.Metadata(),
        { deadline: Date.now() + 2_000 },
        (error, seen) => (error ? reject(error) : resolve(seen!)),
      );
    });
    await send(call, 3);
    const seen = await reply;
    expect(seen.map((s) => s.n)).toEqual([1, 2, 3]);
    for (const { remainingMs } of seen) {
      expect(remainingMs).not.toBeNull();
      expect(remainingMs).toBeGreaterThan(1_000);
      expect(remainingMs).toBeLessThanOrEqual(2_000);
    }
  });

  it('runs the work of each message of a bidi stream under the call’s deadline', async () => {
    const call = client.echo(new grpc.Metadata(), {
      deadline: Date.now() + 2_000,
    });
    const seen: Seen[] = [];
    call.on('data', (s: Seen) => seen.push(s));
    const ended = new Promise<void>((resolve, reject) => {
      call.on('end', resolve);
      call.on('error', reject);
    });
    await send(call, 3);
    await ended;
    expect(seen.map((s) => s.n)).toEqual([1, 2, 3]);
    expect(seen.every((s) => s.remainingMs !== null)).toBe(true);
    expect(Math.min(...seen.map((s) => s.remainingMs!))).toBeGreaterThan(1_000);
  });

  it('aborts the scope’s signal when the caller cancels, so work outside the Observable stops too', async () => {
    const started = new Promise<void>((resolve) => {
      holding = { started: resolve, stopped: () => undefined };
    });
    const stopped = new Promise<unknown>((resolve) => {
      holding.stopped = resolve;
    });
    const call = client.hold(
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      () => undefined,
    );
    call.write({ n: 1 });
    call.end();
    await started;
    call.cancel();
    const reason = await stopped;
    expect(reason).toBeInstanceOf(CancelledError);
    expect((reason as Error).message).toBe('the caller cancelled the stream');
  });
});
