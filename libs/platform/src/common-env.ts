import {
  parseResilienceOverrides,
  type ResilienceOptions,
} from '@lib/resilience';
import { SAMPLER_NAMES, SAMPLER_RATIO_PATTERN } from '@lib/telemetry';
import {
  bool,
  decimal,
  EnvProblem,
  type EnvVar,
  int,
  oneOf,
  str,
} from './env.js';
import { GRPC_DNS_ENV } from './grpc-dns.js';
import { GRPC_LB_POLICIES } from './grpc-load-balancing.js';
import { GRPC_TLS_ENV } from './grpc-tls.js';
import { REPLICA_ID_PATTERN } from './replica-name.js';

/** Variables every tier reads. Each app spreads these into its own spec. */
export const COMMON_ENV = {
  NODE_ENV: str(
    '`production` (the image sets it) refuses development defaults that are not safe to run on, such as the public AUTH_JWT_SECRET',
    { default: '' },
  ),
  BIND_HOST: str('address the tier listens on', { default: '0.0.0.0' }),
  REPLICA_ID: str(
    "this process's name in its own hop record (the replica column of the hop tables and the tracer page, `replica` in its request log line), up to 96 printable characters; empty = `<hostname>:<port it serves on>` (in Kubernetes the hostname is the pod's name)",
    { default: '', pattern: REPLICA_ID_PATTERN },
  ),
  ADMIN_HOST: str(
    "address of a gRPC tier's HTTP admin server (health, metrics, chaos); keep it private",
    { default: '127.0.0.1' },
  ),
  LOG_FORMAT: oneOf(
    'log lines as JSON or short human text',
    ['json', 'pretty'] as const,
    { default: 'json' },
  ),
  LOG_FLUSH_MS: int(
    'how long a log line may wait to share one write with the next ones (the lines of a few milliseconds go out together; everything is written when the process exits, so only a process killed outright loses its last lines); 0 writes each line at once',
    { default: 20, min: 0, max: 60_000 },
  ),
  SHUTDOWN_DRAIN_MS: int(
    'on SIGTERM, how long a gRPC tier lets calls in flight finish (each ends by its own deadline at the latest; new calls are refused) before cancelling the rest',
    { default: 5_000, min: 0, max: 600_000 },
  ),
  GRPC_MAX_CONNECTION_AGE_MS: int(
    "a gRPC tier's server asks each client connection to move to a new one after this long (± 10 %; calls in flight finish), so callers re-resolve a headless Service and reach replicas added since; 0 = never",
    { default: 300_000, min: 0, max: 86_400_000 },
  ),
  // Mutual TLS between the tiers (all three files or none: plain text).
  ...GRPC_TLS_ENV,
  DEADLINE_RESERVE_MS: int(
    'time each hop keeps back from the budget it forwards, for the reply to travel home',
    { default: 10, min: 0, max: 10_000 },
  ),
  DEADLINE_STRICT: bool(
    'a gRPC call or query made with no deadline in scope throws instead of being logged and counted (on in tests)',
    { default: false },
  ),
  DEADLINE_FALLBACK_BUDGET_MS: int(
    'budget for a gRPC call that arrives with no deadline',
    { default: 10_000, min: 1, max: 3_600_000 },
  ),
  // Read by startTelemetry() before the app starts; listed here so they are validated and documented with the rest.
  OTEL_SDK_DISABLED: bool(
    'turn OpenTelemetry spans off (metrics, logs and the tracer page stay)',
    { default: false },
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: str(
    'OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): turns on the HTTP and gRPC instrumentations and exports their spans; empty records no spans (W3C trace context still travels and reaches the logs)',
    { default: '' },
  ),
  OTEL_TRACES_SAMPLER: str(
    `which traces are recorded and exported when OTEL_EXPORTER_OTLP_ENDPOINT is set: ${SAMPLER_NAMES.join(', ')}; empty = parentbased_always_on`,
    {
      default: '',
      pattern: new RegExp(`^\\s*(${SAMPLER_NAMES.join('|')})?\\s*$`),
    },
  ),
  OTEL_TRACES_SAMPLER_ARG: str(
    'share of new traces the ratio samplers keep, 0 to 1 (e.g. 0.1); empty = 1',
    {
      default: '',
      pattern: new RegExp(
        `^\\s*(${SAMPLER_RATIO_PATTERN.source.slice(1, -1)})?\\s*$`,
      ),
    },
  ),
  // Circuit breakers on every downstream a tier calls (libs/resilience); per-downstream tuning in RESILIENCE_OVERRIDES.
  BREAKER_WINDOW_MS: int(
    'circuit breakers: window over which failures are counted',
    { default: 60_000, min: 1_000, max: 3_600_000 },
  ),
  BREAKER_MIN_CALLS: int(
    'circuit breakers: fewest counted calls in the window before a breaker may open',
    { default: 20, min: 1, max: 1_000_000 },
  ),
  BREAKER_FAILURE_RATIO_PCT: int(
    'circuit breakers: share of failed calls (our deadline fired, downstream unavailable) that opens a breaker, in percent',
    { default: 50, min: 1, max: 100 },
  ),
  BREAKER_OPEN_MS: int(
    'circuit breakers: how long an open breaker fails fast (503, Retry-After) before one probe may pass',
    { default: 5_000, min: 1, max: 600_000 },
  ),
  BREAKER_ACTIVE_PROBE: bool(
    'circuit breakers: probe an open downstream with the standard gRPC health check instead of waiting for a request',
    { default: false },
  ),
  STREAM_MAX_OPEN: int(
    'most streams a tier keeps open to one downstream at once, apart from its unary calls (their own bulkhead); past it a new stream is 503 bulkhead_full',
    { default: 1_000, min: 1, max: 1_000_000 },
  ),
  RESILIENCE_OVERRIDES: resilienceOverrides(),
  GRPC_LB_POLICY: oneOf(
    'balancing over a downstream whose URL names several replicas (a list, or dns:/// of a headless Service): deadline_p2c = latency- and load-aware with ejection and retries sent to another replica; round_robin and outlier_detection (grpc-js) for comparison',
    GRPC_LB_POLICIES,
    { default: 'deadline_p2c' },
  ),
  // How dns: downstreams are resolved (grpc-js's DNS resolver), and how often again.
  ...GRPC_DNS_ENV,
  // Hedged requests (libs/resilience), only in full mode over a deadline_p2c downstream with several replicas.
  HEDGE_ENABLED: bool(
    'hedging: an idempotent call with no answer after its adaptive delay gets one more attempt on another replica, the first answer wins and the other is cancelled (full mode, deadline_p2c, a URL naming several replicas)',
    { default: true },
  ),
  HEDGE_QUANTILE: decimal(
    'hedging: the delay is this quantile of the method’s recent successful latencies (0.5 to 0.999)',
    { default: 0.95, min: 0.5, max: 0.999 },
  ),
  HEDGE_MAX_PERCENT: int(
    'hedging: most hedges as a percentage of calls, per downstream (a token bucket; plus one every 10 s for a quiet downstream); 0 = none',
    { default: 10, min: 0, max: 100 },
  ),
  HEDGE_MIN_DELAY_MS: int(
    'hedging: shortest delay before a hedge, however fast the calls are',
    { default: 10, min: 0, max: 60_000 },
  ),
  HEDGE_MIN_SAMPLES: int(
    'hedging: successful calls of a method in the last 10 s before it may be hedged',
    { default: 20, min: 1, max: 1_000_000 },
  ),
  // Fault injection and the comparison modes (libs/chaos, npm run bench).
  CHAOS_ENABLED: bool(
    'fault injection: serve /chaos/faults on the admin port and apply its faults to gRPC calls (never in production)',
    { default: false },
  ),
  RESILIENCE_MODE: oneOf(
    'full = deadline propagation + breakers + budget-aware retry; deadline = propagation only; naive = neither, each hop a fixed NAIVE_TIMEOUT_MS (for comparison)',
    ['full', 'deadline', 'naive'] as const,
    { default: 'full' },
  ),
  NAIVE_TIMEOUT_MS: int(
    'fixed timeout of every outgoing gRPC call when RESILIENCE_MODE=naive',
    { default: 3_000, min: 1, max: 3_600_000 },
  ),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: str(
    'with an exporter, OpenTelemetry instrumentations to leave off, comma-separated: http, grpc (nestjs-core is accepted and changes nothing: Nest 12 is not instrumented yet)',
    {
      default: '',
      pattern:
        /^(\s*(http|grpc|nestjs-core)\s*)(,\s*(http|grpc|nestjs-core)\s*)*$|^$/,
    },
  ),
  TRACER_RECENT_REQUESTS: int(
    'how many recent requests the gateway keeps for the ContextTracer page and npm run trace',
    { default: 200, min: 1, max: 100_000 },
  ),
};

function resilienceOverrides(): EnvVar<
  Readonly<Record<string, ResilienceOptions>>
> {
  return {
    description:
      'per-downstream breaker, retry and bulkhead settings, e.g. inventory.attemptTimeoutMs=1500,inventory.minimumCalls=10,*.maxConcurrent=50 (options in libs/resilience/README.md)',
    default: {},
    parse: (raw) => {
      const parsed = parseResilienceOverrides(raw);
      return typeof parsed === 'string' ? new EnvProblem(parsed) : parsed;
    },
  };
}
