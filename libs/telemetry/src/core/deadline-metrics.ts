import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import type { DeadlineOutcome } from './deadline-attributes.js';

/** Breaker states as a gauge value: 0 closed, 1 half-open, 2 open (cockatiel's `isolated` counts as open). */
const BREAKER_STATE_VALUE: Readonly<Record<string, number>> = {
  closed: 0,
  'half-open': 1,
  half_open: 1,
  halfOpen: 1,
  open: 2,
  isolated: 2,
};
const breakerValue = (state: string): number =>
  BREAKER_STATE_VALUE[state] ?? -1;

/** One replica of a balanced downstream as the metrics read it (a `deadline_p2c` replica snapshot fits). */
export interface ReplicaCounts {
  /** `host:port`. */
  readonly address: string;
  /** Times the balancer chose it, since the channel started. */
  readonly picks: number;
  /** Times it was ejected, since the channel started. */
  readonly ejections: number;
  readonly ejected: boolean;
}

export interface DeadlineMetricsOptions {
  /** The tier, added as the `tier` label to every series. */
  readonly tier: string;
  /** Also export Node's process metrics (CPU, heap, event-loop lag). @default true */
  readonly processMetrics?: boolean;
  /** Remaining-budget histogram buckets, ms. @default 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000 */
  readonly budgetBucketsMs?: readonly number[];
}

/**
 * The deadline's numbers in Prometheus form, one registry per tier. Other libraries report into
 * it through small methods (`breakerTransition`, `chaosFaultsActive`), so none of them needs to
 * know prom-client.
 */
export class DeadlineMetrics {
  readonly registry = new Registry();
  private readonly remainingOnArrival: Histogram<'method'>;
  private readonly requests: Counter<'method' | 'outcome'>;
  private readonly exceeded: Counter<'method'>;
  private readonly cancelled: Counter<'method'>;
  private readonly missing: Counter<'kind' | 'target'>;
  private readonly breakerState: Gauge<'downstream'>;
  private readonly breakerTransitions: Counter<'downstream' | 'from' | 'to'>;
  private readonly chaosFaults: Gauge;
  private readonly streamsOpen: Gauge<'side'>;
  private readonly streams: Counter<'method' | 'side' | 'end'>;
  private readonly idleTimeouts: Counter<'method' | 'side'>;
  private readonly firstMessage: Histogram<'method' | 'side'>;
  private readonly hedgesSent: Counter<'downstream' | 'method'>;
  private readonly hedgesWon: Counter<'downstream' | 'method'>;
  private openStreamsSource:
    (() => Readonly<Record<'client' | 'server', number>>) | undefined;
  private chaosSource: (() => number) | undefined;
  private readonly replicaSources = new Map<
    string,
    () => readonly ReplicaCounts[] | undefined
  >();

  constructor(options: DeadlineMetricsOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ tier: options.tier });
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry });
    this.remainingOnArrival = new Histogram({
      name: 'deadline_remaining_on_arrival_ms',
      help: 'Budget left when a request reached this tier, in milliseconds',
      labelNames: ['method'],
      buckets: [
        ...(options.budgetBucketsMs ?? [
          1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
        ]),
      ],
      registers,
    });
    this.requests = new Counter({
      name: 'deadline_requests_total',
      help: 'Requests served, by how they ended',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.exceeded = new Counter({
      name: 'deadline_exceeded_total',
      help: 'Requests whose deadline passed before the work finished',
      labelNames: ['method'],
      registers,
    });
    this.cancelled = new Counter({
      name: 'deadline_cancelled_total',
      help: 'Requests cancelled because the caller went away',
      labelNames: ['method'],
      registers,
    });
    this.missing = new Counter({
      name: 'deadline_missing_total',
      help: 'Outgoing calls and queries started with no deadline in scope (a lost deadline)',
      labelNames: ['kind', 'target'],
      registers,
    });
    this.breakerState = new Gauge({
      name: 'breaker_state',
      help: 'Circuit breaker state per downstream: 0 closed, 1 half-open, 2 open',
      labelNames: ['downstream'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'breaker_transitions_total',
      help: 'Circuit breaker state changes per downstream',
      labelNames: ['downstream', 'from', 'to'],
      registers,
    });
    const chaosSource = (): (() => number) | undefined => this.chaosSource;
    this.chaosFaults = new Gauge({
      name: 'chaos_faults_active',
      help: 'Chaos faults currently injected into this tier',
      registers,
      collect() {
        const source = chaosSource();
        if (source) this.set(source());
      },
    });
    this.chaosFaults.set(0);
    const openSource = () => this.openStreamsSource;
    this.streamsOpen = new Gauge({
      name: 'streams_open',
      help: 'Streams open now: opened by this tier (side client) or served by it (side server, SSE responses included)',
      labelNames: ['side'],
      registers,
      collect() {
        const source = openSource();
        if (!source) return;
        const open = source();
        this.set({ side: 'client' }, open.client);
        this.set({ side: 'server' }, open.server);
      },
    });
    // Replicas of balanced downstreams, read from their balancer at every scrape.
    const replicas = (): [string, readonly ReplicaCounts[]][] =>
      [...this.replicaSources].map(([downstream, source]) => [
        downstream,
        source() ?? [],
      ]);
    const cumulative = (
      name: string,
      help: string,
      count: (replica: ReplicaCounts) => number,
    ): Counter<'downstream' | 'replica'> =>
      new Counter({
        name,
        help,
        labelNames: ['downstream', 'replica'],
        registers,
        collect() {
          // The balancer keeps the totals; the counter shows them as they are now.
          this.reset();
          for (const [downstream, list] of replicas())
            for (const replica of list)
              this.inc(
                { downstream, replica: replica.address },
                count(replica),
              );
        },
      });
    cumulative(
      'grpc_replica_picks_total',
      'Calls the balancer sent to each replica of a downstream (deadline_p2c)',
      (replica) => replica.picks,
    );
    cumulative(
      'grpc_replica_ejections_total',
      'Times the balancer took a replica out of rotation for failing or being slow (deadline_p2c)',
      (replica) => replica.ejections,
    );
    new Gauge({
      name: 'grpc_replicas_ejected',
      help: 'Replicas of a downstream out of rotation now (deadline_p2c)',
      labelNames: ['downstream'],
      registers,
      collect() {
        for (const [downstream, list] of replicas())
          this.set(
            { downstream },
            list.filter((replica) => replica.ejected).length,
          );
      },
    });
    this.hedgesSent = new Counter({
      name: 'grpc_hedges_sent_total',
      help: 'Hedges sent: second attempts of a slow idempotent call to another replica of a downstream',
      labelNames: ['downstream', 'method'],
      registers,
    });
    this.hedgesWon = new Counter({
      name: 'grpc_hedges_won_total',
      help: 'Hedges whose answer was the one the call returned (the first attempt was cancelled)',
      labelNames: ['downstream', 'method'],
      registers,
    });
    this.streams = new Counter({
      name: 'streams_total',
      help: 'Streams ended, by side and how they ended (completed, deadline_exceeded, idle_timeout, slow_consumer, cancelled, unavailable, error)',
      labelNames: ['method', 'side', 'end'],
      registers,
    });
    this.idleTimeouts = new Counter({
      name: 'stream_idle_timeouts_total',
      help: 'Streams ended because no message came within their idle limit',
      labelNames: ['method', 'side'],
      registers,
    });
    this.firstMessage = new Histogram({
      name: 'stream_first_message_ms',
      help: 'Time from the start of a stream to its first message, in milliseconds',
      labelNames: ['method', 'side'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
      registers,
    });
  }

  /** One stream ended in this tier (as `StreamRecord` from @lib/deadline tells it). */
  streamEnded(record: {
    readonly method: string;
    readonly side: string;
    readonly end: string;
    readonly firstMessageMs: number | null;
  }): void {
    const { method, side, end } = record;
    this.streams.inc({ method, side, end });
    if (end === 'idle_timeout') this.idleTimeouts.inc({ method, side });
    if (record.firstMessageMs !== null)
      this.firstMessage.observe({ method, side }, record.firstMessageMs);
  }

  /** Reads the streams open now from `source` at every scrape (`openStreams` of @lib/deadline). */
  openStreamsFrom(
    source: () => Readonly<Record<'client' | 'server', number>>,
  ): void {
    this.openStreamsSource = source;
  }

  /** One request ended in this tier. `receivedBudgetMs` is `null` when it came with no deadline. */
  requestEnded(
    method: string,
    receivedBudgetMs: number | null,
    outcome: DeadlineOutcome,
  ): void {
    if (receivedBudgetMs !== null)
      this.remainingOnArrival.observe({ method }, receivedBudgetMs);
    this.requests.inc({ method, outcome });
    if (outcome === 'deadline_exceeded') this.exceeded.inc({ method });
    else if (outcome === 'cancelled') this.cancelled.inc({ method });
  }

  /**
   * Work started with no deadline in scope: `kind` `grpc` with target `inventory.Reserve`, or
   * `query` with target `inventory` (only the part before a `:`, so query text never becomes a label).
   */
  missingDeadline(kind: string, target: string): void {
    this.missing.inc({ kind, target: target.split(':')[0].slice(0, 64) });
  }

  /** Sets a downstream's breaker state without counting a transition (start-up, restore). Unknown states read -1. */
  breakerStateIs(downstream: string, state: string): void {
    this.breakerState.set({ downstream }, breakerValue(state));
  }

  /** A downstream's breaker moved from one state to another. */
  breakerTransition(downstream: string, from: string, to: string): void {
    this.breakerTransitions.inc({ downstream, from, to });
    this.breakerState.set({ downstream }, breakerValue(to));
  }

  /** How many chaos faults are injected right now. */
  chaosFaultsActive(count: number): void {
    this.chaosFaults.set(count);
  }

  /** Reads the number of active chaos faults from `source` at every scrape (e.g. a fault registry's size). */
  chaosFaultsFrom(source: () => number): void {
    this.chaosSource = source;
  }

  /**
   * Reads the replicas of a balanced downstream from `source` at every scrape (`replicaSnapshot(name)`
   * of @lib/resilience), for `grpc_replica_picks_total`, `grpc_replica_ejections_total` and
   * `grpc_replicas_ejected`. Undefined from the source (no channel yet) reports none.
   */
  replicasFrom(
    downstream: string,
    source: () => readonly ReplicaCounts[] | undefined,
  ): void {
    this.replicaSources.set(downstream, source);
  }

  /** A hedge of a call to `downstream.method` went out (`onHedgeSent` of @lib/resilience's hedging). */
  hedgeSent(downstream: string, method: string): void {
    this.hedgesSent.inc({ downstream, method });
  }

  /** A hedge's answer won its call (`onHedgeWon`). */
  hedgeWon(downstream: string, method: string): void {
    this.hedgesWon.inc({ downstream, method });
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return {
      contentType: this.registry.contentType,
      body: await this.registry.metrics(),
    };
  }
}
