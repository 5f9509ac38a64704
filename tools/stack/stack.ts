import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@lib/database';
import { freePort } from './free-port.js';
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
  /** Environment for every tier. */
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
  /** Compiled tree. @default <repo>/dist */
  readonly distDir?: string;
  readonly onLine?: (tier: string, line: string) => void;
}

/** The five tiers as separate Node processes, as in production, wired to each other on 127.0.0.1. */
export class Stack {
  private constructor(
    readonly ports: Readonly<Record<TierName, number>>,
    readonly adminPorts: Readonly<Record<GrpcTierName, number>>,
    private readonly processes: ReadonlyMap<TierName, TierProcess>,
    /** The PostgreSQL database the data tiers use, when the stack chose it. */
    readonly databaseUrl: string | undefined,
    private readonly throwaway: ThrowawayDatabase | undefined,
  ) {}

  static async start(options: StackOptions = {}): Promise<Stack> {
    const ports =
      options.ports === 'default' ? DEFAULT_PORTS : await freePorts(TIERS);
    const adminPorts =
      options.ports === 'default'
        ? DEFAULT_ADMIN_PORTS
        : await freePorts(GRPC_TIERS, Object.values(ports));
    const dist = options.distDir ?? join(repoRoot(), 'dist');
    const forTests = options.ports !== 'default';
    const database = options.database ?? (forTests ? 'throwaway' : 'inherit');
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
      GATEWAY_PORT: String(ports.gateway),
      AUTH_GRPC_PORT: String(ports.auth),
      ORDER_GRPC_PORT: String(ports.order),
      INVENTORY_GRPC_PORT: String(ports.inventory),
      PAYMENT_GRPC_PORT: String(ports.payment),
      AUTH_GRPC_URL: `127.0.0.1:${ports.auth}`,
      ORDER_GRPC_URL: `127.0.0.1:${ports.order}`,
      INVENTORY_GRPC_URL: `127.0.0.1:${ports.inventory}`,
      PAYMENT_GRPC_URL: `127.0.0.1:${ports.payment}`,
      AUTH_ADMIN_PORT: String(adminPorts.auth),
      ORDER_ADMIN_PORT: String(adminPorts.order),
      INVENTORY_ADMIN_PORT: String(adminPorts.inventory),
      PAYMENT_ADMIN_PORT: String(adminPorts.payment),
    };
    const processes = new Map<TierName, TierProcess>();
    for (const name of TIERS) {
      processes.set(
        name,
        new TierProcess({
          name,
          script: join(dist, 'apps', name, 'src', 'main.js'),
          env: {
            ...process.env,
            ...shared,
            ...options.env,
            ...options.tierEnv?.[name],
          },
          onLine: options.onLine,
        }),
      );
    }
    const stack = new Stack(
      ports,
      adminPorts,
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
      await Promise.all(
        TIERS.map((name) => processes.get(name)!.start(startTimeoutMs)),
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

  grpcUrl(name: GrpcTierName): string {
    return `127.0.0.1:${this.ports[name]}`;
  }

  /** Base URL of a gRPC tier's HTTP admin server. */
  adminUrl(name: GrpcTierName): string {
    return `http://127.0.0.1:${this.adminPorts[name]}`;
  }

  tier(name: TierName): TierProcess {
    return this.processes.get(name)!;
  }

  /** Polls every tier's health check (the gateway's readiness, each gRPC tier's admin `/health`) until all answer 200. */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const urls = [
      ...GRPC_TIERS.map((t) => `${this.adminUrl(t)}/health`),
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

  /** Stops every tier by PID, callers first. */
  async stop(): Promise<void> {
    for (const name of [...TIERS].reverse())
      await this.processes.get(name)!.stop();
    await this.throwaway?.drop();
  }
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
