import {
  type BudgetPolicy,
  CONTENT_ENCODINGS,
  type ContentEncoding,
  DEFAULT_JSON_BODY_OPTIONS,
  type JsonBodyOptions,
  validateJsonBodyOptions,
} from '@lib/deadline';
import {
  COMMON_ENV,
  EnvProblem,
  type EnvOf,
  int,
  list,
  str,
} from '@lib/platform';

const ENCODINGS: readonly string[] = ['identity', ...CONTENT_ENCODINGS];

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
    'largest budget a client may ask for; larger requests are clamped to it (it also bounds how long a slow client holds a connection)',
    { default: 30_000, min: 1, max: 3_600_000 },
  ),
  DEADLINE_MIN_BUDGET_MS: int(
    'smallest budget worth starting; below it the gateway answers 504 at once',
    { default: 10, min: 0, max: 3_600_000 },
  ),
  DEADLINE_STREAM_DEFAULT_BUDGET_MS: int(
    'budget of an event stream (GET /orders/:id/events) that states none: a watch lasts longer than a request',
    { default: 60_000, min: 1, max: 86_400_000 },
  ),
  DEADLINE_STREAM_MAX_BUDGET_MS: int(
    'largest budget a client may ask for an event stream; larger asks are clamped to it (the stream then ends with a reconnect event)',
    { default: 600_000, min: 1, max: 86_400_000 },
  ),
  DEADLINE_STREAM_IDLE_MS: int(
    'longest silence between two events of a stream, from the order tier or within the gateway, before it ends as 504 (0: no limit)',
    { default: 0, min: 0, max: 86_400_000 },
  ),
  GATEWAY_BODY_MAX_BYTES: int(
    'largest request body read, in bytes as sent (compressed or not); larger is 413',
    {
      default: DEFAULT_JSON_BODY_OPTIONS.maxBodyBytes,
      min: 1,
      max: 16_777_216,
    },
  ),
  GATEWAY_BODY_MAX_INFLATED_BYTES: int(
    'largest request body once its content-encoding is undone, in bytes (what stops a gzip bomb); larger is 413',
    {
      default: DEFAULT_JSON_BODY_OPTIONS.maxInflatedBytes,
      min: 1,
      max: 67_108_864,
    },
  ),
  GATEWAY_BODY_ENCODINGS: list(
    `content-encodings a request body may come in, of ${ENCODINGS.join(', ')}; identity (none) is always taken, so "identity" alone takes no compressed body; any other is 415`,
    {
      default: ['identity', ...DEFAULT_JSON_BODY_OPTIONS.encodings],
      item: (raw) => {
        const value = raw.toLowerCase();
        return ENCODINGS.includes(value)
          ? value
          : new EnvProblem(`"${raw}" is not one of ${ENCODINGS.join(', ')}`);
      },
    },
  ),
  GATEWAY_BODY_CHARSETS: list(
    'charsets a JSON request body may state in its content-type (none stated is UTF-8); any other is 415',
    {
      default: DEFAULT_JSON_BODY_OPTIONS.charsets,
      item: (raw) => {
        const [problem] = validateJsonBodyOptions({ charsets: [raw] });
        return problem === undefined ? raw : new EnvProblem(problem);
      },
    },
  ),
};
export type GatewayEnv = EnvOf<typeof GATEWAY_ENV>;

/** The edge's budget policy, from the validated environment. */
export function budgetPolicyOf(env: GatewayEnv): BudgetPolicy {
  return {
    defaultBudgetMs: env.DEADLINE_DEFAULT_BUDGET_MS,
    maxBudgetMs: env.DEADLINE_MAX_BUDGET_MS,
    minBudgetMs: env.DEADLINE_MIN_BUDGET_MS,
  };
}

/** The edge's budget policy for event streams (the minimum is the requests' one). */
export function streamBudgetPolicyOf(env: GatewayEnv): BudgetPolicy {
  return {
    defaultBudgetMs: env.DEADLINE_STREAM_DEFAULT_BUDGET_MS,
    maxBudgetMs: env.DEADLINE_STREAM_MAX_BUDGET_MS,
    minBudgetMs: env.DEADLINE_MIN_BUDGET_MS,
  };
}

/** What the edge takes as a request body, from the validated environment. */
export function bodyOptionsOf(env: GatewayEnv): JsonBodyOptions {
  return {
    maxBodyBytes: env.GATEWAY_BODY_MAX_BYTES,
    maxInflatedBytes: env.GATEWAY_BODY_MAX_INFLATED_BYTES,
    encodings: env.GATEWAY_BODY_ENCODINGS.filter(
      (encoding): encoding is ContentEncoding => encoding !== 'identity',
    ),
    charsets: env.GATEWAY_BODY_CHARSETS,
  };
}
