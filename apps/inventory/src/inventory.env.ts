import { COMMON_ENV, type EnvOf, int } from '@lib/platform';

export const INVENTORY_ENV = {
  ...COMMON_ENV,
  INVENTORY_GRPC_PORT: int('gRPC port of the inventory tier', { default: 50053, min: 0, max: 65535 }),
  INVENTORY_ADMIN_PORT: int('HTTP admin port of the inventory tier (GET /health)', { default: 8083, min: 0, max: 65535 }),
  INVENTORY_SEED_STOCK: int('units of each seeded SKU on the shelf at start', { default: 1000, min: 0 }),
  INVENTORY_LATENCY_MS: int('simulated storage latency per reservation, abandoned when the caller\'s deadline aborts; the demo and tests raise it to slow this tier', { default: 0, min: 0, max: 600_000 }),
};
export type InventoryEnv = EnvOf<typeof INVENTORY_ENV>;
