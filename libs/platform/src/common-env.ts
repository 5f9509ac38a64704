import { bool, int, oneOf, str } from './env';

/** Variables every tier reads. Each app spreads these into its own spec. */
export const COMMON_ENV = {
  BIND_HOST: str('address the tier listens on', { default: '0.0.0.0' }),
  ADMIN_HOST: str('address of a gRPC tier\'s HTTP admin server (health, metrics, chaos); keep it private', { default: '127.0.0.1' }),
  LOG_FORMAT: oneOf('log lines as JSON or short human text', ['json', 'pretty'] as const, { default: 'json' }),
  DEADLINE_RESERVE_MS: int('time each hop keeps back from the budget it forwards, for the reply to travel home', { default: 10, min: 0, max: 10_000 }),
  DEADLINE_FALLBACK_BUDGET_MS: int('budget for a gRPC call that arrives with no deadline', { default: 10_000, min: 1, max: 3_600_000 }),
  // Read by startTelemetry() before the app starts; listed here so they are validated and documented with the rest.
  OTEL_SDK_DISABLED: bool('turn OpenTelemetry spans off (metrics, logs and the tracer page stay)', { default: false }),
  OTEL_EXPORTER_OTLP_ENDPOINT: str('OTLP/HTTP collector base URL (e.g. http://otel-collector:4318); empty keeps spans in-process only', { default: '' }),
  TRACER_RECENT_REQUESTS: int('how many recent requests the gateway keeps for the ContextTracer page and npm run trace', { default: 200, min: 1, max: 100_000 }),
};
