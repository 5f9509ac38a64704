import { COMMON_ENV, type EnvOf, int, str } from '@lib/platform';

export const GATEWAY_ENV = {
  ...COMMON_ENV,
  GATEWAY_PORT: int('HTTP port of the gateway', {
    default: 3000,
    min: 0,
    max: 65535,
  }),
  AUTH_GRPC_URL: str('host:port of the auth tier', {
    default: '127.0.0.1:50051',
  }),
  ORDER_GRPC_URL: str('host:port of the order tier', {
    default: '127.0.0.1:50052',
  }),
  DEADLINE_DEFAULT_BUDGET_MS: int('budget of a request that states none', {
    default: 5_000,
    min: 1,
    max: 3_600_000,
  }),
  DEADLINE_MAX_BUDGET_MS: int(
    'largest budget a client may ask for; larger requests are clamped to it',
    { default: 30_000, min: 1, max: 3_600_000 },
  ),
  DEADLINE_MIN_BUDGET_MS: int(
    'smallest budget worth starting; below it the gateway answers 504 at once',
    { default: 10, min: 0, max: 3_600_000 },
  ),
};
export type GatewayEnv = EnvOf<typeof GATEWAY_ENV>;
