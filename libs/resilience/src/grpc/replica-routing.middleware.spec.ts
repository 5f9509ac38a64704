import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  createDeadlineClient,
  Deadline,
  NEVER_ABORTS,
  type OutgoingCall,
  runWithDeadline,
  type UnaryResponse,
} from '@lib/deadline';
import { ResilientDownstream } from '../core/resilient-downstream.js';
import {
  registerReplicaBalancer,
  replicaServiceConfig,
  replicaSnapshot,
} from './replica-balancer.lb.js';
import {
  REPLICA_ROUTE_METADATA_KEY,
  takeReplicaRoute,
} from './replica-route.js';
import { replicaRoutingMiddleware } from './replica-routing.middleware.js';
import { resilienceMiddleware } from './resilience.middleware.js';

// Three real grpc-js servers on loopback (grpc.health.v1.Health/Check) behind one deadline_p2c
// channel. The first attempt of each call fails UNAVAILABLE on whichever replica it lands on.
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

/** Calls (by their request's `service` field) that some replica has already seen. */
const seen = new Set<string>();

class Replica {
  readonly served: string[] = [];
  routeTokensSeen = 0;
  address = '';
  private readonly server = new grpc.Server();

  async start(): Promise<void> {
    this.server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        this.served.push(call.request.service);
        if (call.metadata.get(REPLICA_ROUTE_METADATA_KEY).length)
          this.routeTokensSeen++;
        const first = !seen.has(call.request.service);
        seen.add(call.request.service);
        if (first && call.request.service.startsWith('call-')) {
          callback({ code: grpc.status.UNAVAILABLE, details: 'replica down' });
        } else callback(null, { status: 'SERVING' });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

describe(replicaRoutingMiddleware.name, { timeout: 15_000 }, () => {
  const replicas = [new Replica(), new Replica(), new Replica()];
  let raw: grpc.Client;

  beforeAll(async () => {
    registerReplicaBalancer();
    for (const replica of replicas) await replica.start();
    raw = new Health(
      `ipv4:${replicas.map((r) => r.address).join(',')}`,
      grpc.credentials.createInsecure(),
      { 'grpc.service_config': replicaServiceConfig({ name: 'routing' }) },
    );
    // Every replica connected, so a retry has somewhere else to go.
    const until = Date.now() + 10_000;
    for (;;) {
      await new Promise<void>((resolve) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          () => Buffer.alloc(0),
          (bytes: Buffer) => bytes,
          {},
          () => resolve(),
        ),
      );
      const ready = replicaSnapshot('routing')?.filter(
        (r) => r.state === 'READY',
      );
      if (ready?.length === 3) break;
      if (Date.now() > until) throw new Error('replicas not all READY');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  afterAll(() => {
    raw.close();
    for (const replica of replicas) replica.stop();
  });

  function client(): HealthApi {
    const guard = new ResilientDownstream('routing', {
      idempotentMethods: ['Check'],
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
      // Half of all attempts fail here by design; the breaker is not what is tested.
      minimumCalls: 1_000,
    });
    return createDeadlineClient<HealthApi>(raw, {
      service: 'routing',
      reserveMs: 0,
      middleware: [resilienceMiddleware(guard), replicaRoutingMiddleware()],
    });
  }

  it('sends the retry of a call that failed UNAVAILABLE to another replica', async () => {
    const api = client();
    for (let call = 0; call < 20; call++) {
      const marker = `call-${call}`;
      await expect(
        runWithDeadline(Deadline.after(5_000), () =>
          api.check({ service: marker }),
        ),
      ).resolves.toEqual({ status: 'SERVING' });
      const servedBy = replicas.filter((r) => r.served.includes(marker));
      expect(servedBy).toHaveLength(2);
      for (const replica of replicas)
        expect(replica.served.filter((s) => s === marker).length).toBeLessThan(
          2,
        );
    }
  });

  it('sends no route token to the replicas', () => {
    expect(replicas.map((r) => r.routeTokensSeen)).toEqual([0, 0, 0]);
  });
});

describe(`${replicaRoutingMiddleware.name}, attempts at once`, () => {
  // What the deadline_p2c picker does with an attempt's metadata: take its route, and (at
  // onCallStarted) record the replica it went to. Each attempt here "goes" to the first address
  // of `fleet` it is not asked to avoid, and stays in flight until released.
  const fleet = ['10.0.0.1:5001', '10.0.0.2:5001', '10.0.0.3:5001'];
  const avoided: string[][] = [];
  const release: (() => void)[] = [];
  const picker = (call: OutgoingCall): Promise<UnaryResponse> => {
    const route = takeReplicaRoute(call.metadata.clone());
    avoided.push([...(route?.avoid ?? [])].sort());
    if (route) route.picked = fleet.find((a) => !route.avoid.has(a));
    return new Promise((resolve) =>
      release.push(() =>
        resolve({
          message: {},
          header: new grpc.Metadata(),
          trailer: new grpc.Metadata(),
        }),
      ),
    );
  };

  it('sends an attempt started while another of the same call runs away from that one’s replica', async () => {
    const invoke = replicaRoutingMiddleware()(picker);
    const call: OutgoingCall = {
      service: 'routing',
      method: 'Check',
      request: {},
      metadata: new grpc.Metadata(),
      budgetMs: 1_000,
      signal: NEVER_ABORTS,
    };
    const primary = invoke(call);
    // A hedge: same call, same metadata, the primary still in flight.
    const hedge = invoke(call);
    // Another call's attempt avoids nothing.
    const other = invoke({ ...call, metadata: new grpc.Metadata() });
    expect(avoided).toEqual([[], [fleet[0]], []]);
    for (const done of release) done();
    await Promise.all([primary, hedge, other]);
    // A retry after both avoids both.
    const retry = invoke(call);
    expect(avoided[3]).toEqual([fleet[0], fleet[1]]);
    release[3]();
    await retry;
  });
});
