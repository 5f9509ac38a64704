import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@lib/database';
import { INVENTORY_MIGRATIONS } from '../../../apps/inventory/src/inventory.migrations.js';
import { SEED_CATALOG } from '../../../apps/inventory/src/inventory.repository.js';
import { ORDER_MIGRATIONS } from '../../../apps/order/src/order.migrations.js';
import { PAYMENT_MIGRATIONS } from '../../../apps/payment/src/payment.migrations.js';
import { freePort, repoRoot, TierProcess } from '../../../tools/stack/index.js';
import { pidsOf } from '../../support/process-cpu.js';

const ROLES = ['auth', 'inventory', 'payment', 'order', 'gateway'] as const;
type Role = (typeof ROLES)[number];

export interface NestSqlChainOptions {
  /** Units of each catalogue item on the shelf. @default 1e9 */
  readonly seedStock?: number;
  /** `DATABASE_POOL_SIZE` of each data tier. @default 10 (the tiers' default) */
  readonly poolSize?: number;
}

/**
 * The plain-NestJS SQL peer (`nest-sql-tier.ts`) as five processes, on a PostgreSQL database of its
 * own (created on the server `TEST_POSTGRES_URL` names, dropped on stop) holding the tiers' own
 * schema: the migrations of apps/order, inventory and payment, and inventory's seeded catalogue.
 */
export class NestSqlChain {
  private constructor(
    readonly edgeUrl: string,
    readonly databaseUrl: string,
    private readonly processes: TierProcess[],
    private readonly database: ThrowawayDatabase,
  ) {}

  static async start(options: NestSqlChainOptions = {}): Promise<NestSqlChain> {
    const database = await createThrowawayDatabase(
      process.env.TEST_POSTGRES_URL,
      'dr_bench_peer',
    );
    const processes: TierProcess[] = [];
    try {
      await createSchema(database.url, options.seedStock ?? 1e9);
      const ports = Object.fromEntries(
        await Promise.all(ROLES.map(async (r) => [r, await freePort()])),
      ) as Record<Role, number>;
      const url = (role: Role): string => `127.0.0.1:${ports[role]}`;
      const script = join(
        compiledBenchDir(),
        'peer',
        'nest-sql',
        'nest-sql-tier.js',
      );
      for (const role of ROLES) {
        const tier = new TierProcess({
          name: `nest-sql-${role}`,
          script,
          env: {
            ...process.env,
            PEER_ROLE: role,
            PEER_PORT: String(ports[role]),
            DATABASE_URL: database.url,
            DATABASE_POOL_SIZE: String(options.poolSize ?? 10),
            PEER_AUTH_URL: url('auth'),
            PEER_ORDER_URL: url('order'),
            PEER_INVENTORY_URL: url('inventory'),
            PEER_PAYMENT_URL: url('payment'),
          },
        });
        processes.push(tier);
        await tier.start();
      }
      return new NestSqlChain(
        `http://${url('gateway')}`,
        database.url,
        processes,
        database,
      );
    } catch (error) {
      for (const tier of processes.reverse()) await tier.stop();
      await database.drop();
      throw error;
    }
  }

  get ordersUrl(): string {
    return `${this.edgeUrl}/orders`;
  }

  /** The peer's processes, to measure their CPU time. */
  get pids(): number[] {
    return pidsOf(this.processes);
  }

  get running(): boolean {
    return this.processes.every((p) => p.running);
  }

  /** Drops the kept log lines. */
  forgetEvents(): void {
    for (const tier of this.processes) tier.events.length = 0;
  }

  async stop(): Promise<void> {
    for (const tier of [...this.processes].reverse()) await tier.stop();
    await this.database.drop();
  }
}

/** The tables, indexes and catalogue the tiers' own migrations and seeding create. */
async function createSchema(url: string, seedStock: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const [schema, migrations] of [
      ['inventory', INVENTORY_MIGRATIONS],
      ['orders', ORDER_MIGRATIONS],
      ['payment', PAYMENT_MIGRATIONS],
    ] as const) {
      await client.query(`CREATE SCHEMA ${schema}`);
      for (const migration of migrations)
        for (const statement of migration.statements)
          await client.query(statement);
    }
    for (const item of SEED_CATALOG)
      await client.query(
        'INSERT INTO inventory.items (sku, unit_price_cents, initial, available, reserved, sold) VALUES ($1, $2, $3, $3, 0, 0)',
        [item.sku, item.unitPriceCents, seedStock],
      );
  } finally {
    await client.end();
  }
}

/** `dist/bench` when running compiled, else `<repo>/dist/bench` (vitest runs the sources). */
function compiledBenchDir(): string {
  const own = join(__dirname, '..', '..');
  return existsSync(join(own, 'peer', 'nest-sql', 'nest-sql-tier.js'))
    ? own
    : join(repoRoot(), 'dist', 'bench');
}
