import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  type ReplicaBalancerConfig,
  registerReplicaBalancer,
  replicaServiceConfig,
  replicaSnapshot,
} from './replica-balancer.lb.js';
import {
  avoidReplicas,
  pickedReplica,
  REPLICA_ROUTE_METADATA_KEY,
} from './replica-route.js';

// Real grpc-js servers on loopback (grpc.health.v1.Health/Check), each a replica whose behaviour
// the test sets: answer, answer late, fail fast, or hang. One client channel over all of them
// with the deadline_p2c policy, as downstream.ts builds one over several addresses.
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

type Behaviour = 'answer' | 'fail' | 'hang' | { readonly delayMs: number };

class TestReplica {
  served = 0;
  routeTokensSeen = 0;
  behaviour: Behaviour = 'answer';
  private server: grpc.Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(public port = 0) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        this.served++;
        if (call.metadata.get(REPLICA_ROUTE_METADATA_KEY).length)
          this.routeTokensSeen++;
        const behaviour = this.behaviour;
        if (behaviour === 'answer') callback(null, { status: 'SERVING' });
        else if (behaviour === 'fail')
          callback({ code: grpc.status.UNAVAILABLE, details: 'replica down' });
        else if (behaviour !== 'hang') {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            callback(null, { status: 'SERVING' });
          }, behaviour.delayMs);
          this.timers.add(timer);
        }
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        this.address,
        grpc.ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    this.server = server;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }
}

/** One unary Check; resolves with the status code instead of throwing. */
function check(
  client: grpc.Client,
  metadata = new grpc.Metadata(),
  deadlineMs = 2_000,
  onCall?: (call: grpc.ClientUnaryCall) => void,
): Promise<grpc.status> {
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      () => Buffer.alloc(0), // an empty HealthCheckRequest
      (bytes: Buffer) => bytes,
      { service: '' },
      metadata,
      { deadline: Date.now() + deadlineMs },
      (error) => resolve(error ? (error.code ?? grpc.status.UNKNOWN) : 0),
    );
    onCall?.(call);
  });
}

/** `total` calls, `concurrency` at a time; returns the status codes. */
async function load(
  client: grpc.Client,
  total: number,
  concurrency = 4,
): Promise<grpc.status[]> {
  const codes: grpc.status[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) codes.push(await check(client));
    }),
  );
  return codes;
}

async function waitFor(
  condition: () => boolean,
  explain: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until)
      throw new Error(`not in ${timeoutMs} ms: ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('deadline_p2c balancer', { timeout: 15_000 }, () => {
  let replicas: TestReplica[] = [];
  let client: grpc.Client | undefined;
  let names = 0;

  beforeAll(() => registerReplicaBalancer());

  beforeEach(async () => {
    replicas = [new TestReplica(), new TestReplica(), new TestReplica()];
    for (const replica of replicas) await replica.start();
  });

  afterEach(() => {
    client?.close();
    client = undefined;
    for (const replica of replicas) replica.stop();
  });

  /** A channel over the three replicas; waits until all are connected. */
  async function connect(config: ReplicaBalancerConfig = {}) {
    const name = `test-${names++}`;
    client = new Health(
      `ipv4:${replicas.map((r) => r.address).join(',')}`,
      grpc.credentials.createInsecure(),
      {
        'grpc.service_config': replicaServiceConfig({ name, ...config }),
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 300,
      },
    );
    await check(client);
    await waitFor(
      () =>
        replicaSnapshot(name)?.filter((r) => r.state === 'READY').length === 3,
      () => JSON.stringify(replicaSnapshot(name)),
    );
    for (const replica of replicas) replica.served = 0;
    return { client, name, snapshot: () => replicaSnapshot(name) ?? [] };
  }

  it('sends under 5 % of calls to a replica far slower than the others', async () => {
    const { client, name } = await connect({ slowFactor: 0 });
    replicas[2].behaviour = { delayMs: 150 };
    await load(client, 60);
    for (const replica of replicas) replica.served = 0;
    const codes = await load(client, 300);
    expect(codes.every((code) => code === grpc.status.OK)).toBe(true);
    expect(replicas[2].served).toBeLessThan(15);
    const slow = replicaSnapshot(name)?.find(
      (r) => r.address === replicas[2].address,
    );
    expect(slow?.ewmaMs).toBeGreaterThan(50);
  });

  it('ejects a replica slower than its peers', async () => {
    // Bounds generous for a loaded machine: a stall of tens of ms must not look like this.
    const { client, snapshot } = await connect({
      slowMinimumSamples: 4,
      slowMinimumMs: 100,
    });
    const [a, b, c] = replicas;
    c.behaviour = { delayMs: 300 };
    const slow = () => snapshot().find((r) => r.address === c.address);
    // The picker keeps calls away from the slow replica; calls that avoid the other two (as a
    // retry would) still reach it, and are the samples that get it ejected.
    for (let i = 0; i < 15 && !slow()?.ejected; i++) {
      const toSlow = new grpc.Metadata();
      avoidReplicas(toSlow, [a.address, b.address]);
      await Promise.all([load(client, 20), check(client, toSlow)]);
    }
    expect(slow(), JSON.stringify(snapshot())).toMatchObject({
      ejected: true,
      lastEjection: 'slow',
    });
    // Ejected, it is left out even for a call that avoids the others, while they are there.
    const metadata = new grpc.Metadata();
    avoidReplicas(metadata, [a.address]);
    await check(client, metadata);
    expect(pickedReplica(metadata)).toBe(b.address);
  });

  it('does not send calls to a replica that fails fast', async () => {
    const { client } = await connect();
    replicas[1].behaviour = 'fail';
    const codes = await load(client, 300);
    expect(replicas[1].served).toBeLessThan(10);
    expect(codes.filter((code) => code !== grpc.status.OK).length).toBe(
      replicas[1].served,
    );
  });

  it('ejects a replica that fails fast even without the latency penalty', async () => {
    const { client, snapshot } = await connect({
      failurePenaltyMs: 0,
      consecutiveFailures: 3,
    });
    replicas[1].behaviour = 'fail';
    await load(client, 300);
    expect(replicas[1].served).toBeLessThan(15);
    expect(
      snapshot().find((r) => r.address === replicas[1].address),
    ).toMatchObject({ ejected: true, lastEjection: 'consecutive-failures' });
  });

  it('goes on with the others while a replica is down and uses it again once it is back', async () => {
    const { client, snapshot } = await connect();
    const down = replicas[2];
    down.stop();
    await waitFor(
      () =>
        snapshot().find((r) => r.address === down.address)?.state !== 'READY',
      () => JSON.stringify(snapshot()),
    );
    const codes = await load(client, 100);
    expect(codes.every((code) => code === grpc.status.OK)).toBe(true);
    await down.start(); // same port
    await waitFor(
      () => {
        void check(client);
        return down.served > 0;
      },
      () => JSON.stringify(snapshot()),
    );
  });

  it('does not pick the replicas a call avoids, and reports the one it picked', async () => {
    const { client } = await connect();
    const [a, b, c] = replicas;
    for (let i = 0; i < 30; i++) {
      const metadata = new grpc.Metadata();
      avoidReplicas(metadata, [a.address, b.address]);
      expect(await check(client, metadata)).toBe(grpc.status.OK);
      expect(pickedReplica(metadata)).toBe(c.address);
    }
    expect([a.served, b.served, c.served]).toEqual([0, 0, 30]);
  });

  it('reports where an unconstrained call went', async () => {
    const { client } = await connect();
    for (let i = 0; i < 10; i++) {
      const metadata = new grpc.Metadata();
      avoidReplicas(metadata);
      const before = replicas.map((r) => r.served);
      await check(client, metadata);
      const served = replicas.find((r, j) => r.served > before[j]);
      expect(pickedReplica(metadata)).toBe(served?.address);
    }
  });

  it('never sends the route token on the wire', async () => {
    const { client } = await connect();
    const metadata = new grpc.Metadata();
    avoidReplicas(metadata, [replicas[0].address]);
    await check(client, metadata);
    await load(client, 10);
    expect(replicas.reduce((sum, r) => sum + r.routeTokensSeen, 0)).toBe(0);
    expect(replicas.reduce((sum, r) => sum + r.served, 0)).toBe(11);
  });

  it('picks among all replicas when a call avoids every one', async () => {
    const { client } = await connect();
    const metadata = new grpc.Metadata();
    avoidReplicas(
      metadata,
      replicas.map((r) => r.address),
    );
    expect(await check(client, metadata)).toBe(grpc.status.OK);
    expect(replicas.map((r) => r.address)).toContain(pickedReplica(metadata));
  });

  it('counts neither a cancelled call nor a deadline expiry as a failure, but learns the latency bound', async () => {
    const { client, snapshot } = await connect({
      consecutiveFailures: 1,
      slowFactor: 0,
    });
    const hanging = replicas[2];
    hanging.behaviour = 'hang';
    const toHanging = () => {
      const metadata = new grpc.Metadata();
      avoidReplicas(metadata, [replicas[0].address, replicas[1].address]);
      return metadata;
    };
    expect(await check(client, toHanging(), 200)).toBe(
      grpc.status.DEADLINE_EXCEEDED,
    );
    expect(
      await check(client, toHanging(), 2_000, (call) =>
        setTimeout(() => call.cancel(), 50),
      ),
    ).toBe(grpc.status.CANCELLED);
    const row = snapshot().find((r) => r.address === hanging.address);
    expect(row).toMatchObject({ ejected: false, ejections: 0, inFlight: 0 });
    expect(row?.ewmaMs).toBeGreaterThan(150);
  });
});
