import { COMMON_ENV, type EnvOf, int, str } from '@lib/platform';

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
  AUTH_JWT_SECRET: str(
    'HS256 secret that signs and verifies tokens (at least 32 characters)',
    { default: 'deadline-relay-dev-secret-change-me-now', minLength: 32 },
  ),
  AUTH_JWT_ISSUER: str('expected `iss` of tokens', {
    default: 'deadline-relay',
  }),
  AUTH_JWT_AUDIENCE: str('expected `aud` of tokens', {
    default: 'deadline-relay-api',
  }),
};
export type AuthEnv = EnvOf<typeof AUTH_ENV>;
