import { COMMON_ENV, type EnvOf, int, str } from '@lib/platform';

export const ORDER_ENV = {
  ...COMMON_ENV,
  ORDER_GRPC_PORT: int('gRPC port of the order tier', {
    default: 50052,
    min: 0,
    max: 65535,
  }),
  ORDER_ADMIN_PORT: int('HTTP admin port of the order tier (GET /health)', {
    default: 8082,
    min: 0,
    max: 65535,
  }),
  INVENTORY_GRPC_URL: str('host:port of the inventory tier', {
    default: '127.0.0.1:50053',
  }),
  PAYMENT_GRPC_URL: str('host:port of the payment tier', {
    default: '127.0.0.1:50054',
  }),
  DATABASE_URL: str(
    "this tier's database: postgres://user@host:5432/db (tables in schema orders), or empty for the embedded in-memory engine (PGlite), or pglite:<directory> to keep its files",
    { default: '' },
  ),
  DATABASE_POOL_SIZE: int('most PostgreSQL connections this tier opens', {
    default: 10,
    min: 1,
    max: 1_000,
  }),
  ORDER_RECOVERY_INTERVAL_MS: int(
    'how often the order tier looks for sagas left unfinished (by a crash, or an unreachable downstream) and finishes them',
    { default: 2_000, min: 50, max: 3_600_000 },
  ),
  ORDER_RECOVERY_GRACE_MS: int(
    "how long after an order's deadline (or its last change) an unfinished saga is taken over by recovery",
    { default: 5_000, min: 0, max: 86_400_000 },
  ),
  ORDER_WATCH_POLL_MS: int(
    "how often a WatchOrder stream re-reads its order from the database, to see changes another order replica made (this replica's own are sent at once)",
    { default: 1_000, min: 50, max: 60_000 },
  ),
  ORDER_SETTLE_BATCH_MS: int(
    "how long a finished saga's settled mark waits for others to share one UPDATE (and one commit) with it; 0 writes each alone",
    { default: 20, min: 0, max: 1_000 },
  ),
  ORDER_SETTLE_BUDGET_MS: int(
    'budget of the follow-up that commits or releases a reservation after the request (it outlives the request on purpose)',
    { default: 2_000, min: 1, max: 60_000 },
  ),
};
export type OrderEnv = EnvOf<typeof ORDER_ENV>;
