import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  createStreamClient,
  Deadline,
  DownstreamError,
  GrpcStatus,
  runWithDeadline,
} from '@lib/deadline';
import { BulkheadFullError } from '../core/bulkhead-full.error.js';
import { ResilientDownstream } from '../core/resilient-downstream.js';
import {
  resilienceStreamGuard,
  streamBulkhead,
} from './resilience-stream.guard.js';

// A real grpc-js server (grpc.health.v1.Health/Watch, server streaming), its behaviour chosen by the
// request's `service` field: `down` refuses, `flaky-<n>` refuses its first call then streams, anything
// else streams a status every 10 ms.
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

interface HealthStreams {
  watch(request: { service: string }): AsyncIterable<{ status: string }>;
}

describe(resilienceStreamGuard.name, () => {
  let server: grpc.Server;
  let raw: grpc.Client;
  const flaky = new Set<string>();
  let opened = 0;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(Health.service, {
      check: () => undefined,
      watch: (
        call: grpc.ServerWritableStream<{ service: string }, unknown>,
      ) => {
        opened++;
        const behaviour = call.request.service;
        if (
          behaviour === 'down' ||
          (behaviour.startsWith('flaky') && !flaky.has(behaviour))
        ) {
          flaky.add(behaviour);
          call.emit('error', {
            code: grpc.status.UNAVAILABLE,
            details: 'not yet',
          });
          return;
        }
        const timer = setInterval(() => call.write({ status: 'SERVING' }), 10);
        call.write({ status: 'SERVING' });
        call.on('cancelled', () => clearInterval(timer));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    raw = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    raw.close();
    server.forceShutdown();
  });

  const read = async (
    stream: AsyncIterable<unknown>,
    max: number,
  ): Promise<unknown> => {
    let n = 0;
    try {
      for await (const _ of stream) if (++n >= max) break;
      return n;
    } catch (error) {
      return error;
    }
  };

  it('counts a stream’s start, not its long life: refused starts open the breaker, a long stream is one success', async () => {
    const guard = new ResilientDownstream('health', {
      minimumCalls: 4,
      failureRatio: 0.5,
      windowMs: 60_000,
    });
    const streams = createStreamClient<HealthStreams>(raw, {
      service: 'health',
      startGuard: resilienceStreamGuard(guard),
    });
    const deadline = Deadline.after(5_000);
    await runWithDeadline(deadline, async () => {
      expect(await read(streams.watch({ service: 'ok' }), 20)).toBe(20);
      expect(guard.snapshot()).toMatchObject({ calls: 1, failures: 0 });
      for (let i = 0; i < 3; i++) {
        const error = await read(streams.watch({ service: 'down' }), 1);
        expect(DownstreamError.is(error) && error.code).toBe(
          GrpcStatus.UNAVAILABLE,
        );
      }
      expect(guard.snapshot().state).toBe('open');
      const before = opened;
      const refused = await read(streams.watch({ service: 'ok' }), 1);
      expect((refused as { tag?: string }).tag).toBe('BreakerOpenError');
      expect(opened).toBe(before); // failed fast: never reached the server
    });
    deadline.dispose();
    guard.dispose();
  });

  it('retries an idempotent stream only before its first message', async () => {
    const guard = new ResilientDownstream('health', {
      idempotentMethods: ['Watch'],
      maxAttempts: 2,
    });
    const streams = createStreamClient<HealthStreams>(raw, {
      service: 'health',
      startGuard: resilienceStreamGuard(guard),
    });
    const deadline = Deadline.after(5_000);
    const before = opened;
    const got = await runWithDeadline(deadline, () =>
      read(streams.watch({ service: 'flaky-1' }), 3),
    );
    deadline.dispose();
    expect(got).toBe(3);
    expect(opened - before).toBe(2);
    guard.dispose();
  });

  it('bounds open streams in a bulkhead of their own, released when a stream ends', async () => {
    const streams = createStreamClient<HealthStreams>(raw, {
      service: 'health',
      limit: streamBulkhead('health', 1),
    });
    const deadline = Deadline.after(5_000);
    await runWithDeadline(deadline, async () => {
      const first = streams.watch({ service: 'ok' })[Symbol.asyncIterator]();
      await first.next();
      expect(
        BulkheadFullError.is(await read(streams.watch({ service: 'ok' }), 1)),
      ).toBe(true);
      await first.return?.();
      expect(await read(streams.watch({ service: 'ok' }), 1)).toBe(1);
    });
    deadline.dispose();
  });
});
