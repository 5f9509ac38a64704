import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  configureLostDeadlineGuard,
  type LostDeadline,
  LostDeadlineError,
  lostDeadlineCount,
  onLostDeadline,
} from '../core/lost-deadline.js';
import { createDeadlineClient } from './deadline-client.js';

// The runtime lost-deadline guard as the gRPC client wrapper uses it: a real grpc-js server on
// loopback counts what reaches it.
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

describe('createDeadlineClient with no deadline in scope', () => {
  let server: grpc.Server;
  let raw: grpc.Client;
  let received = 0;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(Health.service, {
      check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        received++;
        callback(null, { status: 'SERVING' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (e, p) => (e ? reject(e) : resolve(p)),
      ),
    );
    raw = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    raw.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  afterEach(() => configureLostDeadlineGuard({ strict: false }));

  it('refuses the call in strict mode before anything reaches the wire, naming the call site', async () => {
    configureLostDeadlineGuard({ strict: true });
    const client = createDeadlineClient<HealthApi>(raw, { service: 'health' });
    const before = received;

    const failure = await client
      .check({ service: '' })
      .catch((e: unknown) => e);

    expect(LostDeadlineError.is(failure)).toBe(true);
    expect((failure as LostDeadlineError).lost).toEqual({
      kind: 'grpc',
      target: 'health.Check',
      callSite: expect.stringMatching(/missing-deadline\.spec\.ts:\d+:\d+$/),
    });
    expect(received).toBe(before);
  });

  it('outside strict mode makes the call under the fallback budget, counted and told to listeners', async () => {
    const seen: LostDeadline[] = [];
    const unsubscribe = onLostDeadline((lost) => seen.push(lost));
    const before = lostDeadlineCount();
    configureLostDeadlineGuard({ log: () => undefined });
    const client = createDeadlineClient<HealthApi>(raw, {
      service: 'health',
      noDeadlineBudgetMs: 2_000,
    });

    await expect(client.check({ service: '' })).resolves.toEqual({
      status: 'SERVING',
    });
    unsubscribe();

    expect(lostDeadlineCount()).toBe(before + 1);
    expect(seen).toEqual([
      {
        kind: 'grpc',
        target: 'health.Check',
        callSite: expect.stringContaining('missing-deadline.spec.ts:'),
      },
    ]);
  });
});
