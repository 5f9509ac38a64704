import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type ClientMiddleware,
  currentDeadline,
  DeadlineGrpcClientModule,
  type StreamLimit,
  type StreamStartGuard,
} from '@lib/deadline';
import {
  BreakerRegistry,
  grpcHealthProbe,
  hedgingMiddleware,
  replicaRoutingMiddleware,
  REPLICA_BALANCER_POLICY,
  replicaSnapshot,
  resilienceMiddleware,
  resilienceStreamGuard,
  ResilienceModule,
  streamBulkhead,
  type ResilienceOptions,
} from '@lib/resilience';
import { deadlineTracing, telemetry } from '@lib/telemetry';
import {
  HEALTH,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';
import {
  type GrpcLbPolicy,
  loadBalancingServiceConfig,
  namesReplicas,
} from './grpc-load-balancing.js';
import { grpcChannelCredentials, grpcTls } from './grpc-tls.js';
import { HealthDetails } from './health-details.js';
import { logStreamEnd } from './tier.module.js';

/** Downstreams balanced by `deadline_p2c`, per tier (its HealthDetails), for `replicas` in `GET /health`. */
const balancedDownstreams = new WeakMap<HealthDetails, Set<string>>();

/** Shows a `deadline_p2c` downstream's replicas in `GET /health` (`details.replicas.<name>`) and the metrics. */
function reportReplicas(health: HealthDetails, name: string): void {
  let names = balancedDownstreams.get(health);
  if (!names) {
    const all = new Set<string>();
    names = all;
    balancedDownstreams.set(health, all);
    health.register('replicas', () =>
      Object.fromEntries(
        [...all].map((each) => [each, replicaSnapshot(each) ?? []]),
      ),
    );
  }
  names.add(name);
  telemetry().metrics.replicasFrom(name, () => replicaSnapshot(name));
}

const hedgeLogger = new Logger('Hedging');

/** Hedged requests for one downstream's idempotent methods, from `HEDGE_*`, counted in the metrics. */
function hedging(
  name: string,
  idempotentMethods: Iterable<string>,
  config: ConfigService,
): ClientMiddleware {
  const { metrics } = telemetry();
  return hedgingMiddleware({
    idempotentMethods,
    quantile: config.getOrThrow<number>('HEDGE_QUANTILE'),
    maxPercent: config.getOrThrow<number>('HEDGE_MAX_PERCENT'),
    minDelayMs: config.getOrThrow<number>('HEDGE_MIN_DELAY_MS'),
    minSamples: config.getOrThrow<number>('HEDGE_MIN_SAMPLES'),
    onHedgeSent: ({ method, afterMs }) => {
      metrics.hedgeSent(name, method);
      hedgeLogger.debug({
        msg: 'hedge sent',
        downstream: name,
        method,
        afterMs: Math.round(afterMs * 100) / 100,
      });
    },
    onHedgeWon: ({ method }) => metrics.hedgeWon(name, method),
  });
}

/** The tier's one breaker registry, configured from the environment; shared by all its downstreams. */
@Module({
  imports: [
    ResilienceModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const { '*': all, ...downstreams } = config.getOrThrow<
          Readonly<Record<string, ResilienceOptions>>
        >('RESILIENCE_OVERRIDES');
        const defaults: ResilienceOptions = {
          windowMs: config.getOrThrow<number>('BREAKER_WINDOW_MS'),
          minimumCalls: config.getOrThrow<number>('BREAKER_MIN_CALLS'),
          failureRatio:
            config.getOrThrow<number>('BREAKER_FAILURE_RATIO_PCT') / 100,
          openMs: config.getOrThrow<number>('BREAKER_OPEN_MS'),
          reserveMs: config.getOrThrow<number>('DEADLINE_RESERVE_MS'),
          ...all,
        };
        return { defaults, downstreams };
      },
    }),
  ],
  exports: [ResilienceModule],
})
class TierResilienceModule {}

/**
 * Registers a deadline-aware client for one downstream tier: its URL from the env variable
 * `urlEnv`, the reserve from `DEADLINE_RESERVE_MS`, and a circuit breaker (with bulkhead,
 * admission and, for `idempotentMethods`, budget-aware retry) whose state shows in `GET /health`.
 * Inject it with `@InjectGrpcClient(name)`.
 */
export function downstream(
  name: string,
  contract: ServiceContract,
  urlEnv: string,
  resilience: Pick<ResilienceOptions, 'idempotentMethods'> = {},
): DynamicModule {
  return DeadlineGrpcClientModule.registerAsync({
    name,
    imports: [TierResilienceModule],
    inject: [ConfigService, BreakerRegistry, HealthDetails],
    useFactory: (
      config: ConfigService,
      breakers: BreakerRegistry,
      health: HealthDetails,
    ) => {
      const url = config.getOrThrow<string>(urlEnv);
      // Mutual TLS when GRPC_TLS_* are set (files validated at start-up), plain text otherwise.
      const { credentials, channelOptions: tlsOptions } =
        grpcChannelCredentials(
          grpcTls({
            GRPC_TLS_CA: config.getOrThrow<string>('GRPC_TLS_CA'),
            GRPC_TLS_CERT: config.getOrThrow<string>('GRPC_TLS_CERT'),
            GRPC_TLS_KEY: config.getOrThrow<string>('GRPC_TLS_KEY'),
            GRPC_TLS_SERVER_NAME: config.getOrThrow<string>(
              'GRPC_TLS_SERVER_NAME',
            ),
          }),
          url,
        );
      const reserveMs = config.getOrThrow<number>('DEADLINE_RESERVE_MS');
      const lbPolicy = config.getOrThrow<GrpcLbPolicy>('GRPC_LB_POLICY');
      const balanced = namesReplicas(url);
      if (
        balanced &&
        lbPolicy === REPLICA_BALANCER_POLICY &&
        contract.package !== HEALTH.package
      )
        reportReplicas(health, name);
      // Outermost: puts the budget and the time left on the client span.
      const middleware = [
        deadlineTracing({
          remainingMs: () => currentDeadline()?.remaining(),
          reserveMs,
        }),
      ];
      // Health checks stay unguarded: readiness must report the downstream's own answer, not a breaker's memory.
      const mode = config.getOrThrow<'full' | 'deadline' | 'naive'>(
        'RESILIENCE_MODE',
      );
      let streamGuard: StreamStartGuard | undefined;
      let streamLimit: StreamLimit | undefined;
      if (contract.package !== HEALTH.package && mode === 'full') {
        const activeProbe = config.getOrThrow<boolean>('BREAKER_ACTIVE_PROBE')
          ? grpcHealthProbe(name, url, {
              credentials,
              channelOptions: tlsOptions,
            })
          : undefined;
        // Inside tracing, so a breaker's fast refusal is traced too.
        const guard = breakers.get(name, { ...resilience, activeProbe });
        middleware.push(resilienceMiddleware(guard));
        if (balanced && lbPolicy === REPLICA_BALANCER_POLICY) {
          // Inside the guard (the breaker and bulkhead count a hedged call once), outside the routing
          // (the hedge goes to another replica) and the hop collector (only the winner's records stay).
          if (
            config.getOrThrow<boolean>('HEDGE_ENABLED') &&
            guard.idempotentMethods.size > 0
          )
            middleware.push(hedging(name, guard.idempotentMethods, config));
          // Inside the retry, once per attempt: a retry goes to a replica this call has not tried.
          middleware.push(replicaRoutingMiddleware());
        }
        // Streams: the breaker counts their start, their own bulkhead bounds how many are open.
        streamGuard = resilienceStreamGuard(guard);
        streamLimit = streamBulkhead(
          name,
          config.getOrThrow<number>('STREAM_MAX_OPEN'),
        );
        health.register('breakers', () => breakers.snapshot());
        // Breaker state and transitions in the tier's metrics; with breakers per method, the state is the worst of them.
        const { metrics } = telemetry();
        metrics.breakerStateIs(name, guard.snapshot().state);
        guard.onStateChange((change) => {
          metrics.breakerTransition(name, change.from, change.to);
          metrics.breakerStateIs(name, guard.snapshot().state);
        });
      }
      return {
        url,
        protoPath: protoPath(contract.proto),
        package: contract.package,
        service: contract.service,
        loader: PROTO_LOADER_OPTIONS,
        reserveMs,
        middleware,
        onStreamEnd: logStreamEnd,
        streamGuard,
        streamLimit,
        // RESILIENCE_MODE=naive: the same code as an unprotected stack, for the benchmark's comparison.
        fixedTimeoutMs:
          mode === 'naive'
            ? config.getOrThrow<number>('NAIVE_TIMEOUT_MS')
            : undefined,
        credentials,
        channelOptions: {
          ...tlsOptions,
          // A downstream that comes back is reconnected to within 2 s (grpc-js backs off up to 120 s by
          // default), so a breaker's probe finds it instead of failing on a channel still waiting.
          'grpc.initial_reconnect_backoff_ms': 200,
          'grpc.max_reconnect_backoff_ms': 2_000,
          // A dns: downstream is resolved again, when a connection drops, at most this often (grpc-js: 30 s).
          'grpc.dns_min_time_between_resolutions_ms': config.getOrThrow<number>(
            'GRPC_DNS_MIN_RESOLUTION_MS',
          ),
          // Several replicas (`ipv4:127.0.0.1:p1,127.0.0.1:p2`, `dns:///inventory:50053`): balance calls across them.
          ...(balanced
            ? {
                'grpc.service_config': loadBalancingServiceConfig(
                  lbPolicy,
                  name,
                ),
              }
            : {}),
        },
      };
    },
  });
}
