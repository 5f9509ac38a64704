import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@lib/database';
import { freePort } from './free-port.js';
import {
  documentedReplicaPorts,
  type ReplicaPorts,
  type Replicas,
  replicasProblem,
} from './replicas.js';
import { TierProcess } from './tier-process.js';

export type TierName = 'auth' | 'inventory' | 'payment' | 'order' | 'gateway';
/** Start order: leaves first, so every caller finds its downstreams up. */
export const TIERS: readonly TierName[] = [
  'auth',
  'inventory',
  'payment',
  'order',
  'gateway',
];

export type GrpcTierName = Exclude<TierName, 'gateway'>;
const GRPC_TIERS: readonly GrpcTierName[] = [
  'auth',
  'inventory',
  'payment',
  'order',
];
/** Tiers that keep data: their replicas must share one database. */
const DATA_TIERS: ReadonlySet<GrpcTierName> = new Set([
  'order',
  'inventory',
  'payment',
]);

/** The ports `npm run stack` and docker-compose use. */
export const DEFAULT_PORTS: Readonly<Record<TierName, number>> = {
  gateway: 3000,
  auth: 50051,
  order: 50052,
  inventory: 50053,
  payment: 50054,
};
/** HTTP admin ports (`GET /health`, …) of the gRPC tiers. */
export const DEFAULT_ADMIN_PORTS: Readonly<Record<GrpcTierName, number>> = {
  auth: 8081,
  order: 8082,
  inventory: 8083,
  payment: 8084,
};

export interface StackOptions {
  /** `default` for the documented ports, `free` to pick free ones (tests). @default 'free' */
  readonly ports?: 'default' | 'free';
  /** Environment for every tier. With free ports (tests) `LOG_FLUSH_MS` is 0 unless it is set here. */
  readonly env?: Record<string, string>;
  /** Environment for one tier (wins over `env`). */
  readonly tierEnv?: Partial<Record<TierName, Record<string, string>>>;
  /**
   * Where order, inventory and payment keep their data (each in its own schema): `throwaway` creates an
   * empty PostgreSQL database for this stack on the server `TEST_POSTGRES_URL` names (default
   * postgres://postgres@127.0.0.1:5432/postgres) and drops it on stop; a `postgres://` URL uses that
   * database; `inherit` leaves `DATABASE_URL` to the environment (unset: each tier's embedded engine).
   * @default 'throwaway' with free ports (tests), 'inherit' with the documented ones
   */
  readonly database?: string;
  /** `DEADLINE_STRICT` for every tier: work with no deadline in scope throws. @default true with free ports (tests) */
  readonly strictDeadlines?: boolean;
  /** How long each tier may take to start and report healthy. @default 30000, or 120000 when the tiers load the embedded database (WebAssembly, slow on a busy machine) */
  readonly startTimeoutMs?: number;
  /**
   * Processes per gRPC tier, 1 to 9, e.g. `{ inventory: 3 }`; a tier left out runs one. Replica `i`
   * (from 0) listens on the tier's documented gRPC and admin ports + 10·i (inventory: 50053, 50063,
   * 50073; admin 8083, 8093, 8103), or on free ports; its callers get an `ipv4:` list of all of them.
   * Replicas of a data tier share one PostgreSQL database (the embedded engine lives in one process,
   * so it is refused). They start one after another (their migrations share the database).
   * @default one of each
   */
  readonly replicas?: Replicas;
  /** Compiled tree. @default <repo>/dist */
  readonly distDir?: string;
  readonly onLine?: (tier: string, line: string) => void;
}

/** The five tiers as separate Node processes, as in production, wired to each other on 127.0.0.1. */
export class Stack {
  private constructor(
    /** Each tier's port (its first replica's, for a tier that runs several). */
    readonly ports: Readonly<Record<TierName, number>>,
    readonly adminPorts: Readonly<Record<GrpcTierName, number>>,
    /** Every replica's ports, per gRPC tier, the first replica first. */
    readonly replicaPorts: Readonly<
      Record<GrpcTierName, readonly ReplicaPorts[]>
    >,
    private readonly processes: ReadonlyMap<TierName, readonly TierProcess[]>,
    /** The PostgreSQL database the data tiers use, when the stack chose it. */
    readonly databaseUrl: string | undefined,
    private readonly throwaway: ThrowawayDatabase | undefined,
  ) {}

  static async start(options: StackOptions = {}): Promise<Stack> {
    const replicas = options.replicas ?? {};
    const problem = replicasProblem(replicas);
    if (problem) throw new Error(`stack replicas: ${problem}`);
    const count = (name: GrpcTierName): number => replicas[name] ?? 1;
    const ports =
      options.ports === 'default' ? DEFAULT_PORTS : await freePorts(TIERS);
    const adminPorts =
      options.ports === 'default'
        ? DEFAULT_ADMIN_PORTS
        : await freePorts(GRPC_TIERS, Object.values(ports));
    const replicaPorts = await replicaPortsOf(
      count,
      ports,
      adminPorts,
      options.ports === 'default',
    );
    const dist = options.distDir ?? join(repoRoot(), 'dist');
    const forTests = options.ports !== 'default';
    const database = options.database ?? (forTests ? 'throwaway' : 'inherit');
    for (const name of GRPC_TIERS) {
      if (count(name) === 1 || !DATA_TIERS.has(name)) continue;
      // What the tier's DATABASE_URL will be (the environment below, in the same order).
      const url =
        options.tierEnv?.[name]?.DATABASE_URL ??
        options.env?.DATABASE_URL ??
        (database === 'throwaway'
          ? 'postgres://throwaway'
          : database === 'inherit'
            ? process.env.DATABASE_URL
            : database);
      if (!/^postgres(ql)?:\/\//.test(url ?? ''))
        throw new Error(
          `stack replicas: ${count(name)} replicas of ${name} must share one PostgreSQL database, and the embedded engine (no DATABASE_URL, or pglite:) lives inside one process; set DATABASE_URL=postgres://…`,
        );
    }
    const throwaway =
      database === 'throwaway'
        ? await createThrowawayDatabase(process.env.TEST_POSTGRES_URL).catch(
            (error: unknown) => {
              throw new Error(
                `the stack's throwaway database needs PostgreSQL (${process.env.TEST_POSTGRES_URL ?? '127.0.0.1:5432'}): ${String(error)}; start it, or pass database: 'inherit'`,
              );
            },
          )
        : undefined;
    const databaseUrl =
      throwaway?.url ?? (database === 'inherit' ? undefined : database);
    const shared: Record<string, string> = {
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...((options.strictDeadlines ?? forTests)
        ? { DEADLINE_STRICT: 'true' }
        : {}),
      BIND_HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      // Tests (and the bench's scenarios) read a tier's lines right after the calls that wrote them.
      ...(forTests ? { LOG_FLUSH_MS: '0' } : {}),
      GATEWAY_PORT: String(ports.gateway),
      AUTH_GRPC_PORT: String(ports.auth),
      ORDER_GRPC_PORT: String(ports.order),
      INVENTORY_GRPC_PORT: String(ports.inventory),
      PAYMENT_GRPC_PORT: String(ports.payment),
      // A tier that runs several processes: an ipv4: list of them all, balanced by its callers.
      AUTH_GRPC_URL: targetOf(replicaPorts.auth),
      ORDER_GRPC_URL: targetOf(replicaPorts.order),
      INVENTORY_GRPC_URL: targetOf(replicaPorts.inventory),
      PAYMENT_GRPC_URL: targetOf(replicaPorts.payment),
      AUTH_ADMIN_PORT: String(adminPorts.auth),
      ORDER_ADMIN_PORT: String(adminPorts.order),
      INVENTORY_ADMIN_PORT: String(adminPorts.inventory),
      PAYMENT_ADMIN_PORT: String(adminPorts.payment),
    };
    const processes = new Map<TierName, TierProcess[]>();
    for (const name of TIERS) {
      const first = new TierProcess({
        name,
        script: join(dist, 'apps', name, 'src', 'main.js'),
        env: {
          ...process.env,
          ...shared,
          ...options.env,
          ...options.tierEnv?.[name],
        },
        onLine: options.onLine,
      });
      const extra =
        name === 'gateway'
          ? []
          : replicaPorts[name].slice(1).map((at, i) =>
              first.replica(`${name}-${i + 2}`, {
                [`${name.toUpperCase()}_GRPC_PORT`]: String(at.grpc),
                [`${name.toUpperCase()}_ADMIN_PORT`]: String(at.admin),
              }),
            );
      processes.set(name, [first, ...extra]);
    }
    const stack = new Stack(
      ports,
      adminPorts,
      replicaPorts,
      processes,
      databaseUrl,
      throwaway,
    );
    try {
      const embedded = !(
        options.env?.DATABASE_URL ??
        databaseUrl ??
        process.env.DATABASE_URL
      );
      const startTimeoutMs =
        options.startTimeoutMs ?? (embedded ? 120_000 : 30_000);
      // The tiers side by side; a tier's replicas one after another, as their migrations share the database.
      await Promise.all(
        TIERS.map(async (name) => {
          for (const each of processes.get(name)!)
            await each.start(startTimeoutMs);
        }),
      );
      await stack.waitUntilReady(startTimeoutMs);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }

  /** Address of one process of a gRPC tier (its first, unless told). */
  grpcUrl(name: GrpcTierName, replica = 0): string {
    return `127.0.0.1:${this.replicaAt(name, replica).grpc}`;
  }

  /** Base URL of one gRPC tier process's HTTP admin server (its first, unless told). */
  adminUrl(name: GrpcTierName, replica = 0): string {
    return `http://127.0.0.1:${this.replicaAt(name, replica).admin}`;
  }

  /** A tier's process (its first replica, for a tier that runs several). */
  tier(name: TierName): TierProcess {
    return this.processes.get(name)![0];
  }

  /** Every process of a tier, the first replica first (named `inventory`, `inventory-2`, …). */
  replicas(name: TierName): readonly TierProcess[] {
    return this.processes.get(name)!;
  }

  /** Polls every tier's health check (the gateway's readiness, each gRPC tier's admin `/health`) until all answer 200. */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const urls = [
      ...GRPC_TIERS.flatMap((t) =>
        this.replicaPorts[t].map((_, i) => `${this.adminUrl(t, i)}/health`),
      ),
      `${this.gatewayUrl}/health`,
    ];
    let last: string;
    for (const url of urls) {
      for (;;) {
        try {
          const response = await fetch(url, {
            signal: AbortSignal.timeout(2_000),
          });
          if (response.ok) break;
          last = `${url}: ${response.status} ${await response.text()}`;
        } catch (error) {
          last = `${url}: ${String(error)}`;
        }
        if (Date.now() > until)
          throw new Error(`stack not ready within ${timeoutMs} ms: ${last}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops every process by PID, callers first, then drops the throwaway database. */
  async stop(): Promise<void> {
    for (const name of [...TIERS].reverse())
      for (const each of [...this.processes.get(name)!].reverse())
        await each.stop();
    await this.throwaway?.drop();
  }

  private replicaAt(name: GrpcTierName, replica: number): ReplicaPorts {
    const at = this.replicaPorts[name][replica];
    if (!at)
      throw new RangeError(
        `${name} has ${this.replicaPorts[name].length} replica(s), no replica ${replica}`,
      );
    return at;
  }
}

/** One process: host:port, as before; several: an `ipv4:` list, which the callers balance. */
function targetOf(replicas: readonly ReplicaPorts[]): string {
  const addresses = replicas.map((r) => `127.0.0.1:${r.grpc}`);
  return addresses.length === 1 ? addresses[0] : `ipv4:${addresses.join(',')}`;
}

/** The first replica on the tier's own ports; the others on its ports + 10·i, or free ones. */
async function replicaPortsOf(
  count: (name: GrpcTierName) => number,
  ports: Readonly<Record<TierName, number>>,
  adminPorts: Readonly<Record<GrpcTierName, number>>,
  documented: boolean,
): Promise<Record<GrpcTierName, ReplicaPorts[]>> {
  const taken = [...Object.values(ports), ...Object.values(adminPorts)];
  const all = {} as Record<GrpcTierName, ReplicaPorts[]>;
  for (const name of GRPC_TIERS) {
    const first = { grpc: ports[name], admin: adminPorts[name] };
    if (documented) {
      all[name] = documentedReplicaPorts(first, count(name));
      continue;
    }
    all[name] = [first];
    while (all[name].length < count(name)) {
      const { grpc, admin } = await freePorts(
        ['grpc', 'admin'] as const,
        taken,
      );
      taken.push(grpc, admin);
      all[name].push({ grpc, admin });
    }
  }
  return all;
}

async function freePorts<K extends string>(
  names: readonly K[],
  avoid: readonly number[] = [],
): Promise<Record<K, number>> {
  const ports = {} as Record<K, number>;
  const taken = new Set<number>(avoid);
  for (const name of names) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

/** The folder holding package.json, from the sources or the compiled tree. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}
