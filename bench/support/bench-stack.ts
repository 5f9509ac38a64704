import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  FaultProxy,
  type FaultSpec,
  type FaultSnapshot,
  type MethodLoad,
} from '@lib/chaos';
import {
  freePort,
  repoRoot,
  Stack,
  type TierProcess,
  type LogEvent,
} from '../../tools/stack/index.js';

export type Mode = 'naive' | 'deadline' | 'full';
export const MODES: readonly Mode[] = ['naive', 'deadline', 'full'];

/** Breaker settings of the benchmark's full mode, printed with the results. */
export const BENCH_BREAKER = {
  openMs: 2_000,
  windowMs: 10_000,
  minimumCalls: 20,
  failureRatioPct: 50,
  // Bulkhead, and a per-attempt deadline below the 600 ms budget so a slow inventory counts against its breaker.
  inventoryMaxConcurrent: 20,
  inventoryAttemptTimeoutMs: 500,
  inventorySlowCallMs: 400,
} as const;

/**
 * How order balances inventory's two replicas: the tiers' default `deadline_p2c` unless
 * `GRPC_LB_POLICY` says otherwise (`round_robin`, as before the balancer, or `outlier_detection`).
 */
export const BENCH_LB_POLICY = process.env.GRPC_LB_POLICY ?? 'deadline_p2c';

/** Every bench stack running, so an interrupted run can stop their processes. */
const running = new Set<BenchStack>();

const starting = new Set<() => Promise<void>>();

/**
 * Something else a run starts (another chain of processes) that an interruption must stop too;
 * returns the function that forgets it again once it has stopped.
 */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  starting.add(stop);
  return () => starting.delete(stop);
}

/** Stops every bench stack still running or starting. */
async function stopAllBenchStacks(): Promise<void> {
  await Promise.all([
    ...[...running].map((s) => s.stop()),
    ...[...starting].map((abandon) => abandon()),
  ]);
}

/** For a command: when interrupted (Ctrl-C, a timeout's SIGTERM), stop every tier process it started, by PID, then leave. */
export function stopBenchStacksOnSignal(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the tiers…\n`);
      void stopAllBenchStacks().finally(() => process.exit(130));
    });
  }
}

/**
 * The five tiers as separate processes in one resilience mode, with a second inventory replica:
 * order balances Reserve over both (deadline_p2c unless GRPC_LB_POLICY says otherwise), each behind its own TCP fault proxy, so a test
 * can slow one replica's handler or its network. Chaos is on everywhere.
 */
export class BenchStack {
  private constructor(
    readonly mode: Mode,
    readonly stack: Stack,
    readonly replica2: TierProcess,
    readonly replica2AdminUrl: string,
    /** Proxies in front of inventory replica 1 and 2. */
    readonly proxies: readonly [FaultProxy, FaultProxy],
    readonly token: string,
  ) {}

  static async start(
    mode: Mode,
    extraEnv: Record<string, string> = {},
  ): Promise<BenchStack> {
    const env: Record<string, string> = {
      RESILIENCE_MODE: mode,
      CHAOS_ENABLED: 'true',
      NAIVE_TIMEOUT_MS: '3000',
      GRPC_LB_POLICY: BENCH_LB_POLICY,
      // The naive client states no budget; the edge then uses the same fixed 3 s as every hop.
      DEADLINE_DEFAULT_BUDGET_MS: '3000',
      INVENTORY_SEED_STOCK: '1000000000',
      BREAKER_OPEN_MS: String(BENCH_BREAKER.openMs),
      BREAKER_WINDOW_MS: String(BENCH_BREAKER.windowMs),
      BREAKER_MIN_CALLS: String(BENCH_BREAKER.minimumCalls),
      BREAKER_FAILURE_RATIO_PCT: String(BENCH_BREAKER.failureRatioPct),
      RESILIENCE_OVERRIDES: `inventory.maxConcurrent=${BENCH_BREAKER.inventoryMaxConcurrent},inventory.attemptTimeoutMs=${BENCH_BREAKER.inventoryAttemptTimeoutMs},inventory.slowCallMs=${BENCH_BREAKER.inventorySlowCallMs}`,
      ...extraEnv,
    };
    const [port1, port2, admin2] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const proxies: [FaultProxy, FaultProxy] = [
      new FaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port1 }),
      new FaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port2 }),
    ];
    await Promise.all(proxies.map((p) => p.start()));
    const dist = distDir();
    let stack: Stack | undefined;
    let replica2: TierProcess | undefined;
    let token: string;
    const abandon = async (): Promise<void> => {
      // The replica before the stack: the stack drops the database they share.
      await replica2?.stop();
      await stack?.stop();
      await Promise.all(proxies.map((p) => p.stop()));
    };
    starting.add(abandon);
    try {
      stack = await Stack.start({
        ports: 'free',
        distDir: dist,
        env,
        tierEnv: {
          inventory: { INVENTORY_GRPC_PORT: String(port1) },
          order: {
            INVENTORY_GRPC_URL: `ipv4:${proxies[0].address},${proxies[1].address}`,
          },
        },
      });
      // Same build, environment and database as the first replica: one stock, two servers.
      replica2 = stack.tier('inventory').replica('inventory-2', {
        INVENTORY_GRPC_PORT: String(port2),
        INVENTORY_ADMIN_PORT: String(admin2),
      });
      await replica2.start();
      token = benchToken(dist, env);
      await untilBothReplicasServe(stack.gatewayUrl, token, replica2);
    } catch (error) {
      await abandon();
      throw error;
    } finally {
      starting.delete(abandon);
    }
    const bench = new BenchStack(
      mode,
      stack,
      replica2,
      `http://127.0.0.1:${admin2}`,
      proxies,
      token,
    );
    running.add(bench);
    return bench;
  }

  get ordersUrl(): string {
    return `${this.stack.gatewayUrl}/orders`;
  }

  /** Admin URLs of both inventory replicas. */
  get inventoryAdmins(): readonly [string, string] {
    return [this.stack.adminUrl('inventory'), this.replica2AdminUrl];
  }

  /** Every tier process, with the second replica. */
  get processes(): TierProcess[] {
    return [
      ...(['gateway', 'auth', 'order', 'inventory', 'payment'] as const).map(
        (t) => this.stack.tier(t),
      ),
      this.replica2,
    ];
  }

  /** Log events of both inventory replicas. */
  inventoryEvents(): LogEvent[] {
    return [...this.stack.tier('inventory').events, ...this.replica2.events];
  }

  /** Drops the kept log lines (between phases, so a long run holds little memory). */
  forgetEvents(): void {
    for (const process of this.processes) process.events.length = 0;
  }

  async addFault(
    adminUrl: string,
    spec: Partial<FaultSpec> & Pick<FaultSpec, 'kind'>,
  ): Promise<FaultSnapshot> {
    const response = await fetch(`${adminUrl}/chaos/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    if (response.status !== 201)
      throw new Error(
        `adding fault at ${adminUrl}: ${response.status} ${await response.text()}`,
      );
    return (await response.json()) as FaultSnapshot;
  }

  async clearFaults(): Promise<void> {
    for (const admin of this.inventoryAdmins)
      await fetch(`${admin}/chaos/faults`, { method: 'DELETE' });
    for (const proxy of this.proxies) proxy.set({});
  }

  async resetLoad(): Promise<void> {
    for (const admin of this.inventoryAdmins)
      await fetch(`${admin}/chaos/load/reset`, { method: 'POST' });
  }

  /** Reserve calls in flight at inventory right now, over both replicas. */
  async reserveInFlight(): Promise<number> {
    let inFlight = 0;
    for (const admin of this.inventoryAdmins) {
      const body = (await (await fetch(`${admin}/chaos/faults`)).json()) as {
        load: Record<string, MethodLoad>;
      };
      inFlight += body.load.Reserve?.inFlight ?? 0;
    }
    return inFlight;
  }

  /** Peak Reserve calls in flight at inventory since the last reset, summed over both replicas. */
  async peakReserveInFlight(): Promise<number> {
    let peak = 0;
    for (const admin of this.inventoryAdmins) {
      const body = (await (await fetch(`${admin}/chaos/faults`)).json()) as {
        load: Record<string, MethodLoad>;
      };
      peak += body.load.Reserve?.peakInFlight ?? 0;
    }
    return peak;
  }

  async stop(): Promise<void> {
    running.delete(this);
    // The replica before the stack: the stack drops the database they share.
    await this.replica2.stop();
    await this.stack.stop();
    await Promise.all(this.proxies.map((p) => p.stop()));
  }
}

/**
 * Order found no server behind the second proxy when it started; its channel reconnects within its
 * backoff (a second or two). Places orders until the second replica has served a Reserve, so round
 * robin spreads the first measured request already.
 */
async function untilBothReplicasServe(
  gatewayUrl: string,
  token: string,
  replica2: TierProcess,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  const served = (): boolean => replica2.requestsEnded('Reserve').length > 0;
  while (!served()) {
    if (Date.now() > until)
      throw new Error(
        `the second inventory replica served no Reserve within ${timeoutMs} ms:\n${replica2.tail()}`,
      );
    await fetch(`${gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
  }
}

/** The compiled tree this file belongs to, or `<repo>/dist` when running from the sources (vitest). */
export function distDir(): string {
  const own = join(__dirname, '..', '..');
  return existsSync(join(own, 'apps', 'inventory', 'src', 'main.js'))
    ? own
    : join(repoRoot(), 'dist');
}

/** A bearer token for the bench's orders, signed by the build's auth tier with `env`'s secret. */
export function benchToken(
  dist: string,
  env: Readonly<Record<string, string>>,
): string {
  return execFileSync(
    process.execPath,
    [join(dist, 'apps/auth/src/issue-token.js'), 'bench', '86400'],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  ).trim();
}
