import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { currentDeadline } from '../core/deadline-context.js';
import { decodeHops, HOPS_METADATA_KEY } from '../core/hop-record.js';
import type { RequestEndEvent } from '../core/request-end-event.js';
import { serverDeadline } from './server-deadline.js';
import {
  runServerSteps,
  type ServerStep,
  type ServerUnaryCallLike,
} from './server-step.js';

// A real grpc-js server whose one handler runs the server pipeline; a real client calls it.
const definition = loadSync(join(__dirname, '../../../../proto/health.proto'), {
  keepCase: false,
  enums: String,
  defaults: true,
});
const Health = (
  grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  }
).grpc.health.v1.Health;

type Handler = (service: string) => Promise<unknown>;

describe(serverDeadline.name, () => {
  let server: grpc.Server;
  let client: grpc.Client;
  const ended: RequestEndEvent[] = [];
  const trail: string[] = [];
  let handler: Handler = () => Promise.resolve({ status: 'SERVING' });

  /** Notes which step ran and whether a deadline was in scope there. */
  const note =
    (name: string): ServerStep =>
    (_incoming, next) => {
      trail.push(`${name}:${currentDeadline() ? 'scoped' : 'unscoped'}`);
      return next();
    };
  const steps = [
    note('outer'),
    serverDeadline({
      service: 'probe',
      replica: 'probe-host:50099',
      fallbackBudgetMs: 10_000,
      onRequestEnd: (event) => ended.push(event),
    }),
    note('inner'),
  ];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown> &
          ServerUnaryCallLike,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        runServerSteps(steps, { method: 'Check', call }, () =>
          handler(call.request.service),
        ).then(
          (reply) => callback(null, reply),
          (error: grpc.ServiceError) => callback(error),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  beforeEach(() => {
    ended.length = 0;
    trail.length = 0;
  });

  const check = (
    deadline: number,
    metadata = new grpc.Metadata(),
  ): Promise<{ error: grpc.ServiceError | null; header?: grpc.Metadata }> =>
    new Promise((resolve) => {
      let header: grpc.Metadata | undefined;
      const check = (
        client as unknown as {
          check: (
            request: unknown,
            metadata: grpc.Metadata,
            options: grpc.CallOptions,
            callback: (error: grpc.ServiceError | null) => void,
          ) => grpc.ClientUnaryCall;
        }
      ).check.bind(client);
      const call = check({ service: '' }, metadata, { deadline }, (error) =>
        resolve({ error, header }),
      );
      call.on('metadata', (metadata) => (header = metadata));
    });

  it('runs the steps in order, the inner ones and the handler inside the call’s deadline', async () => {
    let handlerSaw: number | undefined;
    handler = () => {
      handlerSaw = currentDeadline()?.remaining();
      return Promise.resolve({ status: 'SERVING' });
    };
    const { header } = await check(Date.now() + 1_000);
    expect(trail).toEqual(['outer:unscoped', 'inner:scoped']);
    expect(handlerSaw).toBeGreaterThan(500);
    expect(handlerSaw).toBeLessThanOrEqual(1_000);
    // This tier's hop record rides in the response headers, naming the replica that served it.
    const [own] = decodeHops(header?.get(HOPS_METADATA_KEY)[0]);
    expect(own).toMatchObject({
      service: 'probe',
      method: 'Check',
      outcome: 'ok',
      replica: 'probe-host:50099',
    });
    expect(ended).toMatchObject([
      { outcome: 'ok', aborted: false, replica: 'probe-host:50099' },
    ]);
  });

  it('answers DEADLINE_EXCEEDED at the deadline even when the handler ignores it, and says so once', async () => {
    let release: (() => void) | undefined;
    handler = () =>
      new Promise((resolve) => {
        release = () => resolve({ status: 'SERVING' });
      });
    // The server's budget (150 ms, a sidecar's header) is far shorter than the caller's (5 s): the
    // answer must come from the server's deadline, not from the caller giving up.
    const metadata = new grpc.Metadata();
    metadata.set('x-envoy-expected-rq-timeout-ms', '150');
    const startedAt = performance.now();
    const { error } = await check(Date.now() + 5_000, metadata);
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    await vi.waitFor(() => expect(ended).toHaveLength(1));
    expect(ended[0]).toMatchObject({
      outcome: 'deadline_exceeded',
      aborted: true,
    });
    release?.();
  });

  it('answers a failure with its status, code and hop record in the trailers', async () => {
    handler = () =>
      Promise.reject(
        Object.assign(new Error('no such sku'), {
          code: grpc.status.NOT_FOUND,
          reason: 'unknown_sku',
        }),
      );
    const { error } = await check(Date.now() + 1_000);
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
    expect(error?.metadata.get('x-error-code')).toEqual(['unknown_sku']);
    expect(
      decodeHops(error?.metadata.get(HOPS_METADATA_KEY)[0])[0],
    ).toMatchObject({
      service: 'probe',
      outcome: 'error',
      replica: 'probe-host:50099',
    });
    expect(ended).toMatchObject([{ outcome: 'error', reason: 'no such sku' }]);
  });
});
