import { COMMON_ENV, type EnvOf, int, secret, str } from '@lib/platform';

/** Signs the tokens of the demo and the tests; public, so refused with NODE_ENV=production. */
export const DEVELOPMENT_JWT_SECRET = 'deadline-relay-dev-secret-change-me-now';

export const AUTH_ENV = {
  ...COMMON_ENV,
  AUTH_GRPC_PORT: int('gRPC port of the auth tier', {
    default: 50051,
    min: 0,
    max: 65535,
  }),
  AUTH_ADMIN_PORT: int('HTTP admin port of the auth tier (GET /health)', {
    default: 8081,
    min: 0,
    max: 65535,
  }),
  AUTH_JWT_SECRET: secret(
    'HS256 secret that signs and verifies tokens (at least 32 characters)',
    { developmentDefault: DEVELOPMENT_JWT_SECRET, minLength: 32 },
  ),
  AUTH_JWT_ISSUER: str('expected `iss` of tokens', {
    default: 'deadline-relay',
  }),
  AUTH_JWT_AUDIENCE: str('expected `aud` of tokens', {
    default: 'deadline-relay-api',
  }),
  AUTH_TOKEN_CACHE_SIZE: int(
    'verified tokens remembered until their `exp` (least recently used go first); 0 verifies every request',
    { default: 10_000, min: 0, max: 1_000_000 },
  ),
};
export type AuthEnv = EnvOf<typeof AUTH_ENV>;
