import { COMMON_ENV, type EnvOf, int, str } from '@lib/platform';

export const PAYMENT_ENV = {
  ...COMMON_ENV,
  PAYMENT_GRPC_PORT: int('gRPC port of the payment tier', {
    default: 50054,
    min: 0,
    max: 65535,
  }),
  PAYMENT_ADMIN_PORT: int('HTTP admin port of the payment tier (GET /health)', {
    default: 8084,
    min: 0,
    max: 65535,
  }),
  PAYMENT_PROVIDER_LATENCY_MS: int(
    'simulated card-provider latency per charge; the demo and tests raise it to slow this tier',
    { default: 0, min: 0, max: 600_000 },
  ),
  DATABASE_URL: str(
    "this tier's database: postgres://user@host:5432/db (tables in schema payment), or empty for the embedded in-memory engine (PGlite), or pglite:<directory> to keep its files",
    { default: '' },
  ),
  DATABASE_POOL_SIZE: int('most PostgreSQL connections this tier opens', {
    default: 10,
    min: 1,
    max: 1_000,
  }),
  PAYMENT_DECLINE_ABOVE_CENTS: int(
    'charges above this amount are declined (a business error, not a fault)',
    { default: 100_000, min: 0 },
  ),
};
export type PaymentEnv = EnvOf<typeof PAYMENT_ENV>;
