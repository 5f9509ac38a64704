import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import {
  accessSync,
  constants,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, Stack, type TierProcess } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// Order finds inventory's replicas through a real DNS server, dnsmasq on loopback, whose answers come
// from a hosts file this test rewrites: a name with one A record per replica, as a headless Service
// (or Docker's embedded DNS for a scaled service) answers. DNS carries no port, so the replicas share
// one port on different loopback addresses (Linux answers all of 127/8). Inventory's connections age
// (GRPC_MAX_CONNECTION_AGE_MS), so order's channel re-resolves (GRPC_DNS_MIN_RESOLUTION_MS apart at
// most) and follows the file: a replica added, then one removed, without order restarting.
const NAME = 'inventory.test';
const [FIRST, SECOND, THIRD] = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const BUDGET_MS = 4_000;
const CONCURRENCY = 2;
/** Between two orders of one worker: a steady trickle, not a benchmark. */
const PACE_MS = 50;

/** dnsmasq from Debian's dnsmasq-base, on PATH or in the sbin folders PATH may lack. */
function dnsmasqBinary(): string {
  const dirs = [
    ...new Set([
      ...(process.env.PATH ?? '').split(delimiter),
      '/usr/sbin',
      '/sbin',
    ]),
  ].filter(Boolean);
  for (const dir of dirs) {
    const path = join(dir, 'dnsmasq');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error(
    `dnsmasq is needed for this test and was not found (looked in ${dirs.join(', ')}): install the Debian package dnsmasq-base (apt-get install dnsmasq-base; .ci/run installs it)`,
  );
}

function canBind(kind: 'tcp' | 'udp', host: string, port: number) {
  return new Promise<boolean>((resolve) => {
    if (kind === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => socket.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port free for TCP on every one of `hosts`, and for UDP too when `udp`. */
async function portFreeOn(
  hosts: readonly string[],
  { udp = false } = {},
): Promise<number> {
  for (;;) {
    const port = await freePort();
    let free = true;
    for (const host of hosts) {
      free &&= await canBind('tcp', host, port);
      if (udp) free &&= await canBind('udp', host, port);
    }
    if (free) return port;
  }
}

/** dnsmasq in the foreground on 127.0.0.1, answering only from a hosts file that `serve` rewrites. */
class LoopbackDns {
  /** Its log (stderr): start-up, each read of the hosts file, each query and answer. */
  readonly lines: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly hostsFile: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stderr! }).on('line', (line) =>
      this.lines.push(line),
    );
  }

  static async start(
    dir: string,
    addresses: readonly string[],
  ): Promise<LoopbackDns> {
    const binary = dnsmasqBinary();
    const hostsFile = join(dir, 'hosts');
    writeHosts(hostsFile, addresses);
    // The port is free when chosen; should another process take it first, dnsmasq exits: try again.
    for (let attempt = 1; ; attempt++) {
      const port = await portFreeOn(['127.0.0.1'], { udp: true });
      const child = spawn(
        binary,
        [
          '--keep-in-foreground',
          '--conf-file=/dev/null', // no /etc/dnsmasq.conf
          '--no-resolv', // no upstream servers,
          '--no-hosts', // nor /etc/hosts:
          `--addn-hosts=${hostsFile}`, // only this file, reread on SIGHUP
          '--local=/test/', // names under .test are answered here or not at all
          '--cache-size=0',
          '--local-ttl=0', // and no client caches an answer either
          '--listen-address=127.0.0.1',
          '--bind-interfaces',
          `--port=${port}`,
          '--pid-file=', // none: stopped by the PID this test holds
          `--user=${userInfo().username}`, // as root it would switch to nobody, who cannot read dir
          '--log-queries',
          '--log-facility=-',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const server = new LoopbackDns(child, hostsFile, port);
      try {
        await server.answering(addresses, 10_000);
        return server;
      } catch (error) {
        await server.stop();
        if (attempt === 3)
          throw new Error(
            `dnsmasq did not answer on 127.0.0.1:${port}: ${String(error)}\n${server.tail()}`,
            { cause: error },
          );
      }
    }
  }

  /** Rewrites the hosts file, reloads it (SIGHUP) and waits until dnsmasq answers with `addresses`. */
  async serve(addresses: readonly string[]): Promise<void> {
    const reads = this.reads();
    writeHosts(this.hostsFile, addresses);
    this.child.kill('SIGHUP');
    await eventually(() => expect(this.reads()).toBeGreaterThan(reads), 5_000);
    await this.answering(addresses, 5_000);
  }

  /** What dnsmasq answers for NAME now (A records), sorted. */
  async answers(): Promise<string[]> {
    const resolver = new dns.Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${this.port}`]);
    return (await resolver.resolve4(NAME)).sort();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill('SIGTERM');
    await this.exited;
  }

  tail(lines = 15): string {
    return this.lines.slice(-lines).join('\n');
  }

  private answering(addresses: readonly string[], timeoutMs: number) {
    return eventually(async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`dnsmasq exited (${this.child.exitCode})`);
      expect(await this.answers()).toEqual([...addresses].sort());
    }, timeoutMs);
  }

  /** How often dnsmasq has read the hosts file (`read FILE - N names`). */
  private reads(): number {
    return this.lines.filter((l) => l.includes(`read ${this.hostsFile} - `))
      .length;
  }
}

function writeHosts(file: string, addresses: readonly string[]): void {
  writeFileSync(file, addresses.map((a) => `${a} ${NAME}\n`).join(''));
}

interface ReplicaHealth {
  readonly address: string;
  readonly state: string;
}

describe('discovery through DNS: order follows inventory replicas added and removed (dnsmasq, real processes)', () => {
  let dir: string;
  let server: LoopbackDns | undefined;
  let stack: Stack | undefined;
  const replicas = new Map<string, TierProcess>();
  let port: number;
  let orderPid: number | undefined;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deadline-relay-dns-'));
    server = await LoopbackDns.start(dir, [FIRST, SECOND]);
    port = await portFreeOn(['127.0.0.1', FIRST, SECOND, THIRD]);
    stack = await Stack.start({
      tierEnv: {
        inventory: {
          BIND_HOST: FIRST,
          INVENTORY_GRPC_PORT: String(port),
          // Order's connections move every 1.5 s (± 10 %), and each move makes it re-resolve.
          GRPC_MAX_CONNECTION_AGE_MS: '1500',
          INVENTORY_SEED_STOCK: '1000000',
        },
        order: {
          INVENTORY_GRPC_URL: `dns://127.0.0.1:${server.port}/${NAME}:${port}`,
          // Without it grpc-js asks the system's resolver and ignores the server named (grpc-dns.ts).
          GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true',
          GRPC_DNS_MIN_RESOLUTION_MS: '500',
        },
      },
    });
    replicas.set(FIRST, stack.tier('inventory'));
    await startReplica(SECOND);
    orderPid = stack.tier('order').pid;
    token = issueToken();
  }, 300_000);

  afterAll(async () => {
    // The replicas before the stack: the stack drops the database they share.
    for (const [address, replica] of replicas)
      if (address !== FIRST) await replica.stop();
    await stack?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Another inventory process, listening on `address` at the shared port. */
  const startReplica = async (address: string): Promise<TierProcess> => {
    const replica = stack!.tier('inventory').replica(`inventory-${address}`, {
      BIND_HOST: address,
      INVENTORY_ADMIN_PORT: String(await freePort()),
    });
    replicas.set(address, replica);
    await replica.start(120_000);
    return replica;
  };

  const replicasAtOrder = async (): Promise<ReplicaHealth[]> => {
    const response = await fetch(`${stack!.adminUrl('order')}/health`);
    const body = (await response.json()) as {
      details?: { replicas?: { inventory?: ReplicaHealth[] } };
    };
    return body.details?.replicas?.inventory ?? [];
  };

  const addressesAtOrder = async (): Promise<string[]> =>
    (await replicasAtOrder()).map((r) => r.address).sort();

  const at = (...hosts: string[]): string[] =>
    hosts.map((host) => `${host}:${port}`).sort();

  const reserves = (address: string): number =>
    replicas.get(address)!.requestsEnded('Reserve').length;

  /** An order's HTTP status, or what went wrong before one came. */
  const placeOrder = async (): Promise<number | string> => {
    try {
      const response = await fetch(`${stack!.gatewayUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-request-timeout': String(BUDGET_MS),
        },
        body: JSON.stringify({ sku: 'latte', quantity: 1 }),
      });
      const body = await response.text();
      return response.status === 201
        ? 201
        : `${response.status} ${body.slice(0, 200)}`;
    } catch (error) {
      return String(error);
    }
  };

  /** Orders placed without pause until `stop`, which resolves once every one has answered. */
  const keepOrdering = () => {
    let running = true;
    const outcomes: (number | string)[] = [];
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        outcomes.push(await placeOrder());
        await new Promise((resolve) => setTimeout(resolve, PACE_MS));
      }
    });
    return {
      outcomes,
      stop: async () => {
        running = false;
        await Promise.all(workers);
        return outcomes;
      },
    };
  };

  const explain = async (outcomes: readonly (number | string)[] = []) =>
    JSON.stringify(
      {
        failed: outcomes.filter((o) => o !== 201),
        placed: outcomes.length,
        reserves: Object.fromEntries(
          [...replicas.keys()].map((a) => [a, reserves(a)]),
        ),
        replicas: await replicasAtOrder(),
        dns: server!.tail(),
      },
      null,
      1,
    );

  it('places orders and shows both replicas the name resolves to, connected, in order’s GET /health', async () => {
    expect(await server!.answers()).toEqual([FIRST, SECOND]);
    // Order's channel connects at its first call; the second replica may not have been listening yet.
    await eventually(async () => {
      expect(await placeOrder()).toBe(201);
      const health = await replicasAtOrder();
      expect(health.map((r) => r.address).sort()).toEqual(at(FIRST, SECOND));
      expect(health.every((r) => r.state === 'READY')).toBe(true);
    }, 30_000);
    // Both serve Reserve calls.
    await eventually(async () => {
      expect(await placeOrder()).toBe(201);
      expect(reserves(FIRST)).toBeGreaterThan(0);
      expect(reserves(SECOND)).toBeGreaterThan(0);
    }, 30_000);
  }, 60_000);

  it('connects to a replica added to DNS and sends it Reserve calls, without order restarting', async () => {
    const added = await startReplica(THIRD);
    const load = keepOrdering();
    try {
      await server!.serve([FIRST, SECOND, THIRD]);
      await eventually(async () => {
        const health = await replicasAtOrder();
        expect(health.map((r) => r.address).sort()).toEqual(
          at(FIRST, SECOND, THIRD),
        );
        expect(health.find((r) => r.address === at(THIRD)[0])?.state).toBe(
          'READY',
        );
        expect(added.requestsEnded('Reserve').length).toBeGreaterThan(0);
      }, 60_000);
    } finally {
      await load.stop();
    }
    expect(load.outcomes.length).toBeGreaterThan(0);
    expect(
      load.outcomes.filter((o) => o !== 201),
      await explain(load.outcomes),
    ).toEqual([]);
    expect(stack!.tier('order').pid).toBe(orderPid);
    expect(stack!.tier('order').running).toBe(true);
  }, 120_000);

  it('drops a replica removed from DNS, which then gets no more calls and can stop, while every order succeeds', async () => {
    const outcomes: (number | string)[] = [];
    let load = keepOrdering();
    try {
      await server!.serve([SECOND, THIRD]);
      await eventually(
        async () => expect(await addressesAtOrder()).toEqual(at(SECOND, THIRD)),
        60_000,
      );
    } finally {
      outcomes.push(...(await load.stop()));
    }
    // Every order started before it left has answered: from here on, its count must not move.
    const left = reserves(FIRST);
    const others = () => reserves(SECOND) + reserves(THIRD);
    let before = others();
    load = keepOrdering();
    try {
      await eventually(
        () => expect(others()).toBeGreaterThanOrEqual(before + 20),
        60_000,
      );
      expect(reserves(FIRST), await explain(outcomes)).toBe(left);
      // Gone from order's list, so it may stop: nobody calls it.
      await replicas.get(FIRST)!.stop();
      before = others();
      await eventually(
        () => expect(others()).toBeGreaterThanOrEqual(before + 20),
        60_000,
      );
    } finally {
      outcomes.push(...(await load.stop()));
    }
    expect(reserves(FIRST)).toBe(left);
    expect(await addressesAtOrder()).toEqual(at(SECOND, THIRD));
    expect(
      outcomes.filter((o) => o !== 201),
      await explain(outcomes),
    ).toEqual([]);
    expect(stack!.tier('order').pid).toBe(orderPid);
    expect(stack!.tier('order').running).toBe(true);
  }, 180_000);
});
