import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  type BudgetPolicy,
  configureLostDeadlineGuard,
  type JsonBodyOptions,
  currentScope,
  DeadlineModule,
  type DeadlineModuleOptions,
  onLostDeadline,
  openStreams,
  type StreamRecord,
} from '@lib/deadline';
import {
  deadlineSpanStep,
  DeadlineSpanInterceptor,
  requestEndHook,
  TelemetryModule,
  telemetry,
  traceContextStep,
  TraceContextModule,
} from '@lib/telemetry';
import { chaosStep, ChaosModule, FaultRegistry } from '@lib/chaos';
import type { COMMON_ENV } from './common-env.js';
import { type EnvOf, type EnvSpec, parseEnv } from './env.js';
import { AdminHealthController } from './admin-health.controller.js';
import { GrpcHealthController } from './grpc-health.controller.js';
import { HealthDetails } from './health-details.js';
import { replicaName } from './replica-name.js';
import { TIER_NAME } from './tier-name.js';

export interface TierModuleOptions<S extends EnvSpec> {
  /** The tier's name in records and logs. */
  readonly service: string;
  /** `grpc` for internal tiers (adds the standard health service), `http` for the edge. */
  readonly inbound: 'http' | 'grpc';
  /** The tier's environment spec; validated once at start-up, every problem listed. */
  readonly env: S & typeof COMMON_ENV;
  /** The port it serves on (gRPC, or HTTP at the edge), from the validated environment: its replica name without `REPLICA_ID` is `<hostname>:<port>`. */
  readonly port?: (env: EnvOf<S>) => number;
  /** Edge budget policy from the validated environment (HTTP only). */
  readonly policy?: (env: EnvOf<S>) => BudgetPolicy;
  /** Edge budget policy for event streams (`@DeadlineSse()` routes), from the validated environment (HTTP only). */
  readonly streamPolicy?: (env: EnvOf<S>) => BudgetPolicy;
  /** Idle limit between two messages of a stream, from the validated environment; 0 or absent: none. */
  readonly streamIdleMs?: (env: EnvOf<S>) => number;
  /** Edge body limits from the validated environment (HTTP only): the body is read under the deadline. Start the app with `bodyParser: false`. */
  readonly body?: (env: EnvOf<S>) => JsonBodyOptions;
  /** Every `error` code the edge answers (HTTP only); any other is answered as its status's generic code. */
  readonly errorCodes?: readonly string[];
}

/**
 * Everything a tier shares with the others, in one import: validated config (`ConfigService`),
 * the deadline interceptor and error mapping for its inbound transport, gRPC health and
 * `GET /health` on the admin port, and {@link HealthDetails} for libraries to report into.
 */
@Module({})
export class TierModule {
  static forRoot<S extends EnvSpec>(
    options: TierModuleOptions<S>,
  ): DynamicModule {
    const grpc = options.inbound === 'grpc';
    // One instance, imported where its FaultRegistry is needed (the pipeline, health, metrics).
    const chaos = grpc ? chaosModule() : undefined;
    const deadline = DeadlineModule.forRootAsync({
      imports: chaos ? [chaos] : [],
      inject: [ConfigService, ...(chaos ? [FaultRegistry] : [])],
      useFactory: (config: ConfigService, faults?: FaultRegistry) => {
        const env = Object.fromEntries(
          Object.keys(options.env).map((key) => [key, config.get(key)]),
        ) as EnvOf<S>;
        const common = env as EnvOf<typeof COMMON_ENV>;
        return {
          service: options.service,
          replica: replicaName(common.REPLICA_ID, options.port?.(env)),
          inbound: options.inbound,
          fallbackBudgetMs: common.DEADLINE_FALLBACK_BUDGET_MS,
          policy: options.policy?.(env),
          streamPolicy: options.streamPolicy?.(env),
          streamIdleMs: options.streamIdleMs?.(env) || undefined,
          // One line per stream served, beside the request's: time to first message, messages, how it ended.
          onStreamEnd: logStreamEnd,
          body: options.body?.(env),
          errorCodes: options.errorCodes,
          // Span attributes, metrics, the request log line with trace ids, and (at the edge) the recent-request buffer.
          onRequestEnd: requestEndHook({
            telemetry: telemetry(),
            reserveMs: common.DEADLINE_RESERVE_MS,
            keepRecent: options.inbound === 'http',
          }),
          serverSteps: faults && serverSteps(config, faults),
        };
      },
    });
    return {
      module: TierModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: (raw) => parseEnv(options.env, raw),
        }),
        // gRPC tiers run one server pipeline whose order is written in serverSteps(). The HTTP edge
        // still uses Nest interceptors, which run in the order Nest scans modules: a module's own
        // providers, then its imports in order. So TraceContextModule (before DeadlineModule) wraps
        // the deadline interceptor, and DeadlineSpanModule (after it) runs inside its scope.
        ...(grpc
          ? [deadline, chaos as DynamicModule]
          : [TraceContextModule, deadline, DeadlineSpanModule]),
        TelemetryModule.forRoot({ tracerPage: options.inbound === 'http' }),
      ],
      controllers:
        options.inbound === 'grpc'
          ? [GrpcHealthController, AdminHealthController]
          : [],
      providers: [
        HealthDetails,
        { provide: TIER_NAME, useValue: options.service },
        LOST_DEADLINE_GUARD,
        ...(options.inbound === 'grpc' ? CHAOS_PROVIDERS : []),
        ...TELEMETRY_PROVIDERS,
        ...(options.inbound === 'grpc' ? [CHAOS_METRICS] : []),
      ],
      exports: [HealthDetails, TIER_NAME],
      global: true,
    };
  }
}

/**
 * A gRPC tier's server pipeline around the deadline entry, in order; a step that is off is left out:
 * trace context (light mode only) → [deadline entry] → span attributes (when spans are recorded) →
 * fault injection (when `CHAOS_ENABLED`) → the handler.
 */
function serverSteps(
  config: ConfigService,
  faults: FaultRegistry,
): DeadlineModuleOptions['serverSteps'] {
  const t = telemetry();
  const logger = new Logger('chaos');
  return {
    outer: t.traceContext === 'light' ? [traceContextStep()] : [],
    inner: [
      ...(t.spans
        ? [
            deadlineSpanStep({
              telemetry: t,
              currentScope,
              reserveMs: config.getOrThrow<number>('DEADLINE_RESERVE_MS'),
            }),
          ]
        : []),
      ...(config.getOrThrow<boolean>('CHAOS_ENABLED')
        ? [
            chaosStep(faults, {
              // The naive comparison mode keeps held work going past the deadline, as an unprotected stack would.
              honourDeadline:
                config.getOrThrow<string>('RESILIENCE_MODE') !== 'naive',
              log: (line) => logger.log(line),
            }),
          ]
        : []),
    ],
  };
}

/** The deadline's starting attributes on the edge's server span ({@link DeadlineSpanInterceptor}); import it after DeadlineModule. */
@Module({
  providers: [
    {
      provide: APP_INTERCEPTOR,
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        new DeadlineSpanInterceptor({
          telemetry: telemetry(),
          currentScope,
          reserveMs: config.getOrThrow<number>('DEADLINE_RESERVE_MS'),
        }),
    },
  ],
})
class DeadlineSpanModule {}

/**
 * Fault injection on gRPC tiers (`/chaos/faults` on the admin port), off unless `CHAOS_ENABLED=true`.
 * Its hook is the pipeline's chaos step (see serverSteps), not an interceptor of its own.
 */
function chaosModule(): DynamicModule {
  return ChaosModule.forRootAsync({
    interceptor: false,
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      enabled: config.getOrThrow<boolean>('CHAOS_ENABLED'),
    }),
  });
}

const streamLogger = new Logger('Stream');
/** A stream's end: a log line (`stream ended`) and the stream metrics (`streams_total`, idle timeouts, first message). */
export function logStreamEnd(record: StreamRecord): void {
  streamLogger.log({ msg: 'stream ended', ...record });
  telemetry().metrics.streamEnded(record);
}

/** The process-wide lost-deadline guard, for every tier: strict (`DEADLINE_STRICT`) or logged as a JSON warning. */
const LOST_DEADLINE_GUARD = {
  provide: Symbol('LOST_DEADLINE_GUARD'),
  inject: [ConfigService],
  useFactory: (config: ConfigService) => {
    const logger = new Logger('Deadline');
    configureLostDeadlineGuard({
      strict: config.getOrThrow<boolean>('DEADLINE_STRICT'),
      log: (message, lost) =>
        logger.warn({ msg: 'deadline lost', ...lost, detail: message }),
    });
    return true;
  },
};

const CHAOS_HEALTH = Symbol('CHAOS_HEALTH');
const CHAOS_PROVIDERS = [
  {
    provide: CHAOS_HEALTH,
    inject: [ConfigService, HealthDetails, FaultRegistry],
    useFactory: (
      config: ConfigService,
      health: HealthDetails,
      registry: FaultRegistry,
    ) => {
      if (config.getOrThrow<boolean>('CHAOS_ENABLED'))
        health.register('chaos', () => ({
          enabled: true,
          faults: registry.list(),
        }));
      return true;
    },
  },
];

const LOST_DEADLINE_METRICS = Symbol('LOST_DEADLINE_METRICS');
const TELEMETRY_PROVIDERS = [
  // Streams open now, per side (streams_open), read at every scrape.
  {
    provide: Symbol('STREAM_METRICS'),
    useFactory: () => {
      telemetry().metrics.openStreamsFrom(openStreams);
      return true;
    },
  },
  // Work started with no deadline in scope, counted per kind and target (deadline_missing_total).
  {
    provide: LOST_DEADLINE_METRICS,
    useFactory: () =>
      onLostDeadline((lost) =>
        telemetry().metrics.missingDeadline(lost.kind, lost.target),
      ),
  },
];
const CHAOS_METRICS = {
  provide: Symbol('CHAOS_METRICS'),
  inject: [FaultRegistry],
  useFactory: (registry: FaultRegistry) => {
    telemetry().metrics.chaosFaultsFrom(() => registry.list().length);
    return true;
  },
};
