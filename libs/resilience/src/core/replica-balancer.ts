import { type Clock, systemClock } from '@lib/deadline';
import {
  type EjectionReason,
  OutlierEjector,
  type OutlierEjectorOptions,
  type ReplicaHealth,
} from './outlier-ejector.js';
import { PeakEwma } from './peak-ewma.js';
import { type ReplicaOutcome } from './replica-outcome.js';

export interface ReplicaBalancerOptions extends OutlierEjectorOptions {
  /** Decay time constant of each replica's peak-EWMA latency, in ms. @default 10_000 */
  readonly decayMs?: number;
  /**
   * Latency estimate of a replica not yet heard from, in ms. At 0 a new replica is tried first
   * (with equal estimates nobody is favoured by the order replicas joined in); the age of its
   * calls in flight keeps a new replica that hangs from drawing more than a few. @default 0
   */
  readonly initialLatencyMs?: number;
  /**
   * Latency a failed call counts as, in ms (when it took less), so that a replica that fails
   * fast does not look fast (linkerd2-proxy#4537). @default 1_000
   */
  readonly failurePenaltyMs?: number;
  /** Uniform in [0, 1), for the two random choices. @default Math.random */
  readonly random?: () => number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** One replica as `/health` and metrics show it. */
export interface ReplicaSnapshot {
  readonly address: string;
  /** What a pick compares, lower is better: latency × (in flight + 1) × (failures in a row + 1). */
  readonly score: number;
  /** Peak-EWMA latency estimate, in ms. */
  readonly ewmaMs: number;
  readonly inFlight: number;
  /** Times the balancer chose it. */
  readonly picks: number;
  readonly ejected: boolean;
  /** Time left of the current ejection, in ms; 0 when not ejected. */
  readonly ejectedForMs: number;
  readonly ejections: number;
  readonly lastEjection: EjectionReason | undefined;
}

/** One replica's load. A handle the adapter keeps beside its transport (a subchannel). */
export class Replica {
  inFlight = 0;
  picks = 0;
  /** Sum of the start times of the calls in flight, for their mean age. */
  startedSumMs = 0;

  constructor(
    readonly address: string,
    public ewma: PeakEwma,
    readonly health: ReplicaHealth,
  ) {}

  /**
   * Latency × (in flight + 1) × (failures in a row + 1). The latency is the peak EWMA, or the
   * mean age of the calls in flight when that is higher: a replica that has stopped answering
   * looks slower by the millisecond instead of only when its first call times out. The failure
   * factor keeps a replica that fails fast behind its peers even when a stall makes them all
   * look as slow as the failure penalty.
   */
  score(nowMs: number): number {
    let latency = this.ewma.valueMs(nowMs);
    if (this.inFlight > 0) {
      const age = nowMs - this.startedSumMs / this.inFlight;
      if (age > latency) latency = age;
    }
    return latency * (this.inFlight + 1) * (this.health.consecutive + 1);
  }
}

/** Pass order of a pick: the first pass that leaves a candidate decides. */
const STRICT = 0;
const ALLOW_EJECTED = 1;
const ALLOW_AVOIDED = 2;
const ANY = 3;

/**
 * Deadline-aware choice of a replica: power of two choices over peak-EWMA × in-flight, with
 * outlier ejection. Framework-free: the caller owns the transports and says which replicas are
 * usable right now (`pick(candidates)`), then reports each call's start and end.
 */
export class ReplicaBalancer {
  private readonly replicas = new Map<string, Replica>();
  private readonly ejector: OutlierEjector;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly decayMs: number;
  private readonly initialLatencyMs: number;
  private readonly failurePenaltyMs: number;
  private readonly eligible: Replica[] = [];

  constructor(options: ReplicaBalancerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.decayMs = options.decayMs ?? 10_000;
    this.initialLatencyMs = options.initialLatencyMs ?? 0;
    this.failurePenaltyMs = options.failurePenaltyMs ?? 1_000;
    this.ejector = new OutlierEjector({ ...options, clock: this.clock });
  }

  /** Makes the set exactly these addresses: keeps the state of those already known. */
  sync(addresses: readonly string[]): void {
    const wanted = new Set(addresses);
    for (const address of this.replicas.keys())
      if (!wanted.has(address)) {
        this.replicas.delete(address);
        this.ejector.delete(address);
      }
    for (const address of wanted)
      if (!this.replicas.has(address))
        this.replicas.set(
          address,
          new Replica(address, this.newEstimate(), this.ejector.add(address)),
        );
    this.eligible.length = 0;
  }

  replica(address: string): Replica | undefined {
    return this.replicas.get(address);
  }

  /**
   * The replica's connection is up again after it was lost (a restart, a new pod on the address):
   * what its latency and failures in a row said was about the connection that failed, so it starts
   * again as a new replica does. Without this, a replica whose last calls failed keeps the failure
   * penalty until it decays, and P2C sends it nothing for tens of seconds. An ejection stays: that
   * is the ejector's judgement, with its own time to return.
   */
  reconnected(replica: Replica): void {
    replica.ewma = this.newEstimate();
    replica.health.consecutive = 0;
  }

  /**
   * Chooses among `candidates` (the replicas usable now): two at random, the lower score wins.
   * Ejected replicas and those in `avoid` are left out while any other is there; when none is,
   * an ejected one is preferred to an avoided one, and only with no other choice is an avoided
   * one picked. Undefined only for no candidates.
   */
  pick(
    candidates: readonly Replica[],
    avoid?: ReadonlySet<string>,
  ): Replica | undefined {
    const total = candidates.length;
    if (total === 0) return undefined;
    const now = this.clock.now();
    const eligible = this.eligible;
    let count = 0;
    for (let pass = STRICT; pass <= ANY && count === 0; pass++) {
      if (pass === ALLOW_AVOIDED && !avoid) continue;
      for (let i = 0; i < total; i++) {
        const replica = candidates[i];
        if (pass <= ALLOW_EJECTED && avoid?.has(replica.address)) continue;
        if (
          (pass === STRICT || pass === ALLOW_AVOIDED) &&
          replica.health.ejectedUntilMs > now
        )
          continue;
        eligible[count++] = replica;
      }
    }
    let chosen = eligible[0];
    if (count > 1) {
      const first = Math.floor(this.random() * count);
      let second = Math.floor(this.random() * (count - 1));
      if (second >= first) second++;
      const a = eligible[first];
      const b = eligible[second];
      chosen = b.score(now) < a.score(now) ? b : a;
    }
    chosen.picks++;
    return chosen;
  }

  /** A call went out on `replica`; returns its start time, for `ended`. */
  started(replica: Replica): number {
    const now = this.clock.now();
    replica.inFlight++;
    replica.startedSumMs += now;
    return now;
  }

  /** The call begun at `startedAtMs` on `replica` ended so. */
  ended(replica: Replica, outcome: ReplicaOutcome, startedAtMs: number): void {
    const now = this.clock.now();
    replica.inFlight--;
    replica.startedSumMs -= startedAtMs;
    if (replica.inFlight === 0) replica.startedSumMs = 0;
    const elapsed = now - startedAtMs;
    if (outcome === 'success') replica.ewma.observe(elapsed, now);
    else if (outcome === 'failure')
      replica.ewma.observe(Math.max(elapsed, this.failurePenaltyMs), now);
    else replica.ewma.observeAtLeast(elapsed, now);
    this.ejector.record(replica.address, outcome, elapsed, now);
  }

  private newEstimate(): PeakEwma {
    return new PeakEwma({
      decayMs: this.decayMs,
      initialMs: this.initialLatencyMs,
      clock: this.clock,
    });
  }

  snapshot(): ReplicaSnapshot[] {
    const now = this.clock.now();
    const rows: ReplicaSnapshot[] = [];
    for (const replica of this.replicas.values()) {
      const health = this.ejector.snapshot(replica.address);
      rows.push({
        address: replica.address,
        score: replica.score(now),
        ewmaMs: replica.ewma.valueMs(now),
        inFlight: replica.inFlight,
        picks: replica.picks,
        ejected: health?.ejected ?? false,
        ejectedForMs: health?.ejectedForMs ?? 0,
        ejections: health?.ejections ?? 0,
        lastEjection: health?.lastEjection,
      });
    }
    return rows;
  }
}
