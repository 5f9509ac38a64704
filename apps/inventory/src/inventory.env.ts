import { COMMON_ENV, type EnvOf, int, str } from '@lib/platform';

export const INVENTORY_ENV = {
  ...COMMON_ENV,
  INVENTORY_GRPC_PORT: int('gRPC port of the inventory tier', {
    default: 50053,
    min: 0,
    max: 65535,
  }),
  INVENTORY_ADMIN_PORT: int(
    'HTTP admin port of the inventory tier (GET /health)',
    { default: 8083, min: 0, max: 65535 },
  ),
  INVENTORY_SEED_STOCK: int(
    'units of each seeded SKU put on the shelf when the SKU is not stored yet',
    { default: 1000, min: 0 },
  ),
  DATABASE_URL: str(
    "this tier's database: postgres://user@host:5432/db (tables in schema inventory), or empty for the embedded in-memory engine (PGlite), or pglite:<directory> to keep its files",
    { default: '' },
  ),
  DATABASE_POOL_SIZE: int('most PostgreSQL connections this tier opens', {
    default: 10,
    min: 1,
    max: 1_000,
  }),
  INVENTORY_COMMIT_BATCH_MS: int(
    'how long a Commit waits for others to settle in the same statement (and commit) with it; Commits come from sagas whose client has its answer; 0 settles each alone',
    { default: 20, min: 0, max: 1_000 },
  ),
  INVENTORY_SWEEP_INTERVAL_MS: int(
    'how often the sweeper looks for reservations whose outcome never arrived',
    { default: 1_000, min: 50, max: 3_600_000 },
  ),
  INVENTORY_SWEEP_GRACE_MS: int(
    'how long after its deadline an unsettled reservation is released by the sweeper; keep it above ORDER_RECOVERY_GRACE_MS + ORDER_SETTLE_BUDGET_MS',
    { default: 30_000, min: 0, max: 86_400_000 },
  ),
  INVENTORY_LATENCY_MS: int(
    "simulated storage latency per reservation, abandoned when the caller's deadline aborts; the demo and tests raise it to slow this tier",
    { default: 0, min: 0, max: 600_000 },
  ),
};
export type InventoryEnv = EnvOf<typeof INVENTORY_ENV>;
