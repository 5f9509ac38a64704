import * as http2 from 'node:http2';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { lastValueFrom, take, timer } from 'rxjs';
import { CancelledError } from '../core/cancelled.error.js';
import { Deadline } from '../core/deadline.js';
import { currentScope, runWithDeadline } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { GrpcStatus } from '../core/grpc-status.js';
import { encodeHops } from '../core/hop-record.js';
import { observeClient } from '../nest/observe-client.js';
import type { ClientMiddleware } from './client-middleware.js';
import { createDeadlineClient } from './deadline-client.js';
import { DownstreamError } from '../core/downstream.error.js';

// A real grpc-js server in-process, serving grpc.health.v1.Health/Check with behaviours chosen by
// the request's `service` field. The client under test talks to it over loopback.
const definition = loadSync(join(__dirname, '../../../../proto/health.proto'), {
  keepCase: false,
  enums: String,
  defaults: true,
});
const healthPackage = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const Health = healthPackage.grpc.health.v1.Health;

interface HealthApi {
  check(request: { service: string }): Promise<{ status: string }>;
}

describe(createDeadlineClient.name, () => {
  let server: grpc.Server;
  let raw: grpc.Client;
  const cancelledOnServer: string[] = [];
  const handled: string[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const behaviour = call.request.service;
        handled.push(behaviour);
        if (behaviour === 'echo-budget') {
          const deadline = call.getDeadline();
          const budget =
            (deadline instanceof Date ? deadline.getTime() : deadline) -
            Date.now();
          const metadata = new grpc.Metadata();
          metadata.set(
            'x-deadline-hops',
            encodeHops([
              {
                service: 'probe',
                method: 'Check',
                receivedBudgetMs: budget,
                spentMs: 0,
                forwardedBudgetMs: null,
                outcome: 'ok',
              },
            ]),
          );
          call.sendMetadata(metadata);
          callback(null, { status: 'SERVING' });
        } else if (behaviour === 'declined') {
          const trailers = new grpc.Metadata();
          trailers.set('x-error-code', 'payment_declined');
          callback({
            code: grpc.status.FAILED_PRECONDITION,
            details: 'card declined',
            metadata: trailers,
          });
        } else if (behaviour === 'dropped') {
          // What a downstream shutting down sends for calls in flight.
          callback({
            code: grpc.status.CANCELLED,
            details: 'Cancelled on server',
          });
        } else if (behaviour === 'reset') {
          // What a caller can see from a tier killed just after its GOAWAY: the stream ends with no gRPC status.
          streamUnder(call).close(http2.constants.NGHTTP2_NO_ERROR);
        } else if (behaviour === 'hang') {
          call.on('cancelled', () => cancelledOnServer.push(behaviour));
        } else {
          callback(null, { status: 'SERVING' });
        }
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    raw = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    raw.close();
    server.forceShutdown();
  });

  const waitFor = async (
    condition: () => boolean,
    timeoutMs = 5_000,
  ): Promise<void> => {
    const until = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > until) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('forwards the current deadline minus the reserve, and records the downstream’s hops', async () => {
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'probe',
      reserveMs: 50,
    });
    const deadline = Deadline.after(1_000);
    const scope = await runWithDeadline(deadline, async () => {
      await client.check({ service: 'echo-budget' });
      return currentScope()!;
    });
    deadline.dispose();
    const [own, downstream] = scope.hops('ok');
    expect(own.forwardedBudgetMs).toBeGreaterThan(900);
    expect(own.forwardedBudgetMs).toBeLessThanOrEqual(950);
    expect(downstream.receivedBudgetMs).toBeLessThanOrEqual(
      own.forwardedBudgetMs!,
    );
    expect(downstream.receivedBudgetMs).toBeGreaterThan(
      own.forwardedBudgetMs! - 100,
    );
  });

  it('caps the forwarded budget at the local ceiling', async () => {
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'probe',
      reserveMs: 0,
      capMs: 200,
    });
    const deadline = Deadline.after(5_000);
    const scope = await runWithDeadline(deadline, async () => {
      await client.check({ service: 'echo-budget' });
      return currentScope()!;
    });
    deadline.dispose();
    expect(scope.hops('ok')[0].forwardedBudgetMs).toBe(200);
  });

  it('does not call at all when the reserve leaves no budget', async () => {
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'probe',
      reserveMs: 500,
    });
    const before = handled.length;
    const deadline = Deadline.after(400);
    await expect(
      runWithDeadline(deadline, () => client.check({ service: 'ok' })),
    ).rejects.toThrow(DeadlineExceededError);
    deadline.dispose();
    expect(handled.length).toBe(before);
  });

  it('cancels the call on the wire when the deadline is cancelled, reporting why', async () => {
    const client = createDeadlineClient<HealthApi>(raw, { service: 'probe' });
    const deadline = Deadline.after(10_000);
    const call = runWithDeadline(deadline, () =>
      client.check({ service: 'hang' }),
    );
    await waitFor(() => handled.includes('hang'));
    deadline.cancel(new CancelledError('client closed the connection'));
    await expect(call).rejects.toThrow('client closed the connection');
    await waitFor(() => cancelledOnServer.length === 1);
  });

  it('reports a downstream failure with its status and machine-readable reason', async () => {
    const client = createDeadlineClient<HealthApi>(raw, { service: 'payment' });
    const deadline = Deadline.after(2_000);
    const error: unknown = await runWithDeadline(deadline, () =>
      client.check({ service: 'declined' }),
    ).catch((e: unknown) => e);
    deadline.dispose();
    expect(DownstreamError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      reason: 'payment_declined',
      details: 'card declined',
      service: 'payment',
      method: 'Check',
    });
  });

  it('reports a call the downstream cancelled on its own as unavailable, not as the caller hanging up', async () => {
    const client = createDeadlineClient<HealthApi>(raw, { service: 'order' });
    const deadline = Deadline.after(2_000);
    const error: unknown = await runWithDeadline(deadline, () =>
      client.check({ service: 'dropped' }),
    ).catch((e: unknown) => e);
    expect(deadline.signal.aborted).toBe(false);
    deadline.dispose();
    expect(DownstreamError.is(error)).toBe(true);
    expect(error).toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      details: 'the downstream cancelled the call',
      service: 'order',
      method: 'Check',
    });
  });

  it('reports a stream the downstream reset with no status as unavailable, not as its own failure', async () => {
    const client = createDeadlineClient<HealthApi>(raw, { service: 'order' });
    const deadline = Deadline.after(2_000);
    const error: unknown = await runWithDeadline(deadline, () =>
      client.check({ service: 'reset' }),
    ).catch((e: unknown) => e);
    deadline.dispose();
    expect(error).toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      reason: undefined,
      details: 'the downstream reset the call without answering',
    });
  });

  it('reports a call made with no deadline in scope and still bounds it', async () => {
    const missing: string[] = [];
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'probe',
      noDeadlineBudgetMs: 300,
      onMissingDeadline: (s, m) => missing.push(`${s}.${m}`),
    });
    await expect(client.check({ service: 'ok' })).resolves.toEqual({
      status: 'SERVING',
    });
    expect(missing).toEqual(['probe.Check']);
    const started = Date.now();
    await expect(client.check({ service: 'hang' })).rejects.toMatchObject({
      code: GrpcStatus.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('fans out to many concurrent calls on one deadline without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    const client = createDeadlineClient<HealthApi>(raw, { service: 'probe' });
    const deadline = Deadline.after(5_000);
    await runWithDeadline(deadline, () =>
      Promise.all(
        Array.from({ length: 16 }, () => client.check({ service: 'ok' })),
      ),
    );
    deadline.dispose();
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('runs middleware outermost first and lets it change the attempt’s budget', async () => {
    const order: string[] = [];
    const tag =
      (name: string, budgetMs?: number): ClientMiddleware =>
      (next) =>
      (call) => {
        order.push(name);
        return next(budgetMs === undefined ? call : { ...call, budgetMs });
      };
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'probe',
      middleware: [tag('outer'), tag('inner', 100)],
    });
    const deadline = Deadline.after(5_000);
    const scope = await runWithDeadline(deadline, async () => {
      await client.check({ service: 'echo-budget' });
      return currentScope()!;
    });
    deadline.dispose();
    expect(order).toEqual(['outer', 'inner']);
    expect(scope.hops('ok')[1].receivedBudgetMs).toBeLessThanOrEqual(100);
  });

  it('cancels the underlying call when an Observable subscriber unsubscribes (Nest does not, nestjs/nest#10288)', async () => {
    const client = observeClient(
      createDeadlineClient<HealthApi>(raw, { service: 'probe' }),
    );
    const deadline = Deadline.after(10_000);
    const before = cancelledOnServer.length;
    await runWithDeadline(deadline, async () => {
      const subscription = client
        .check({ service: 'hang' })
        .subscribe({ error: () => undefined });
      await lastValueFrom(timer(100).pipe(take(1)));
      subscription.unsubscribe();
    });
    await waitFor(() => cancelledOnServer.length === before + 1);
    expect(deadline.signal.aborted).toBe(false);
    deadline.dispose();
  });
});

/** The HTTP/2 stream under a grpc-js server call (grpc-js keeps it on its inner call wrappers). */
function streamUnder(call: object): http2.ServerHttp2Stream {
  let node: unknown = call;
  while (node && typeof node === 'object') {
    const {
      stream,
      call: inner,
      nextCall,
    } = node as {
      stream?: { session?: unknown; rstCode?: unknown };
      call?: unknown;
      nextCall?: unknown;
    };
    if (stream && 'session' in stream && 'rstCode' in stream)
      return stream as http2.ServerHttp2Stream;
    node = nextCall ?? inner;
  }
  throw new Error('no HTTP/2 stream under the call');
}
