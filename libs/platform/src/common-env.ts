import { int, oneOf, str } from './env';

/** Variables every tier reads. Each app spreads these into its own spec. */
export const COMMON_ENV = {
  BIND_HOST: str('address the tier listens on', { default: '0.0.0.0' }),
  ADMIN_HOST: str('address of a gRPC tier\'s HTTP admin server (health, metrics, chaos); keep it private', { default: '127.0.0.1' }),
  LOG_FORMAT: oneOf('log lines as JSON or short human text', ['json', 'pretty'] as const, { default: 'json' }),
  DEADLINE_RESERVE_MS: int('time each hop keeps back from the budget it forwards, for the reply to travel home', { default: 10, min: 0, max: 10_000 }),
  DEADLINE_FALLBACK_BUDGET_MS: int('budget for a gRPC call that arrives with no deadline', { default: 10_000, min: 1, max: 3_600_000 }),
};
