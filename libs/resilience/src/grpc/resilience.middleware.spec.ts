import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  createDeadlineClient,
  Deadline,
  DownstreamError,
  GrpcStatus,
  runWithDeadline,
} from '@lib/deadline';
import { BreakerOpenError } from '../core/breaker-open.error.js';
import { ResilientDownstream } from '../core/resilient-downstream.js';
import { grpcHealthProbe } from './health-probe.js';
import { resilienceMiddleware } from './resilience.middleware.js';

// A real grpc-js server in-process (grpc.health.v1.Health/Check), its behaviour chosen by the
// request's `service` field; the guarded deadline client talks to it over loopback.
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

interface HealthApi {
  check(request: { service: string }): Promise<{ status: string }>;
}

describe(resilienceMiddleware.name, () => {
  let server: grpc.Server;
  let raw: grpc.Client;
  let address: string;
  const received: { behaviour: string; budgetMs: number }[] = [];
  const cancelledOnServer: string[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const behaviour = call.request.service;
        const deadline = call.getDeadline();
        received.push({
          behaviour,
          budgetMs:
            (deadline instanceof Date ? deadline.getTime() : deadline) -
            Date.now(),
        });
        if (behaviour === 'hang')
          call.on('cancelled', () => cancelledOnServer.push(behaviour));
        else if (behaviour === 'down')
          callback({ code: grpc.status.UNAVAILABLE, details: 'down' });
        else callback(null, { status: 'SERVING' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    address = `127.0.0.1:${port}`;
    raw = new Health(address, grpc.credentials.createInsecure());
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

  it('sends the per-attempt deadline as the call’s grpc-timeout', async () => {
    const guard = new ResilientDownstream('health', {
      attemptTimeoutMs: 300,
      slowCallMs: 200,
    });
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'health',
      reserveMs: 0,
      middleware: [resilienceMiddleware(guard)],
    });
    await runWithDeadline(Deadline.after(5_000), () =>
      client.check({ service: 'budget' }),
    );
    const budget = received.find((r) => r.behaviour === 'budget')!.budgetMs;
    expect(budget).toBeGreaterThan(200);
    expect(budget).toBeLessThanOrEqual(300);
  });

  it('cancels a call in flight on the wire when the breaker opens, and fails the next one fast without sending it', async () => {
    const guard = new ResilientDownstream('health', {
      minimumCalls: 1,
      openMs: 60_000,
    });
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'health',
      middleware: [resilienceMiddleware(guard)],
    });
    await runWithDeadline(Deadline.after(10_000), async () => {
      const hanging = client
        .check({ service: 'hang' })
        .catch((e: unknown) => e);
      await waitFor(() => received.some((r) => r.behaviour === 'hang'));
      await expect(client.check({ service: 'down' })).rejects.toMatchObject({
        tag: 'DownstreamError',
        code: GrpcStatus.UNAVAILABLE,
      });
      const error = await hanging;
      expect(BreakerOpenError.is(error) && error.rejection).toBe(
        'opened-in-flight',
      );
      await waitFor(() => cancelledOnServer.includes('hang'));

      const sent = received.length;
      const started = performance.now();
      await expect(client.check({ service: 'ok' })).rejects.toMatchObject({
        tag: 'BreakerOpenError',
        rejection: 'open',
      });
      expect(performance.now() - started).toBeLessThan(50);
      expect(received).toHaveLength(sent);
    });
    guard.dispose();
  });

  describe(grpcHealthProbe.name, () => {
    it('resolves when the server answers SERVING', async () => {
      const signal = new AbortController().signal;
      await expect(
        grpcHealthProbe(
          'health',
          address,
        )({ signal, budgetMs: 1_000, probe: true }),
      ).resolves.toBeUndefined();
    });

    it('fails with UNAVAILABLE when nothing listens', async () => {
      const signal = new AbortController().signal;
      const error = await grpcHealthProbe(
        'health',
        '127.0.0.1:1',
      )({ signal, budgetMs: 1_000, probe: true }).catch((e: unknown) => e);
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.UNAVAILABLE,
      );
    });
  });
});
