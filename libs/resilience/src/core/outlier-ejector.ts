import { type Clock, systemClock } from '@lib/deadline';
import { type ReplicaOutcome } from './replica-outcome.js';
import { LatencyTracker } from './latency-tracker.js';
import { RollingWindow } from './rolling-window.js';

export interface OutlierEjectorOptions {
  /** Consecutive failures that eject a replica; 0 turns this check off. @default 5 */
  readonly consecutiveFailures?: number;
  /** Share of failed calls in the window that ejects a replica (0–1); 0 turns it off. @default 0.5 */
  readonly failureRatio?: number;
  /** Calls the window must hold before its failure ratio counts. @default 10 */
  readonly failureMinimumCalls?: number;
  /** Window of the failure ratio, in ms. @default 10_000 */
  readonly failureWindowMs?: number;
  /**
   * A replica whose median latency over its recent calls is above this many times the median of
   * its (not ejected) peers' medians is ejected as slow; 0 turns latency ejection off. Medians,
   * not the peak EWMA that steers picks, so that one stall does not eject a replica. @default 3
   */
  readonly slowFactor?: number;
  /** …and above the peers' by at least this many ms (3 × 2 ms is not slow). @default 50 */
  readonly slowMinimumMs?: number;
  /**
   * Latency samples (answers and timeouts) a replica must have given since it (re)joined before
   * it can be judged slow, or count as a peer in judging another; medians are over the last
   * 2 × this many. @default 10
   */
  readonly slowMinimumSamples?: number;
  /** First ejection's length, in ms; the n-th (close together) lasts n times as long. @default 10_000 */
  readonly baseEjectionMs?: number;
  /** Cap on one ejection's length, in ms (never below `baseEjectionMs`). @default 120_000 */
  readonly maxEjectionMs?: number;
  /**
   * Most replicas ejected at once, as a percentage of the set (rounded down, but one may always
   * be ejected and one is always kept); 0 turns ejection off. @default 50
   */
  readonly maxEjectionPercent?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Why a replica was ejected. */
export type EjectionReason = 'consecutive-failures' | 'failure-ratio' | 'slow';

/** One replica's ejection state, as `/health` and metrics show it. */
export interface EjectionSnapshot {
  readonly ejected: boolean;
  /** Time left of the current ejection, in ms; 0 when not ejected. */
  readonly ejectedForMs: number;
  /** Ejections since the replica joined the set. */
  readonly ejections: number;
  readonly lastEjection: EjectionReason | undefined;
  readonly consecutiveFailures: number;
}

/** Per-replica counters. `ejectedUntilMs` is read on every pick, hence a plain field. */
export class ReplicaHealth {
  /** Clock time the current ejection ends; 0 when the replica has not been ejected since it returned. */
  ejectedUntilMs = 0;
  ejections = 0;
  /** Length of the next ejection in base units, before healthy time since the last one is credited. */
  multiplier = 0;
  returnedAtMs: number | undefined;
  consecutive = 0;
  samples = 0;
  lastEjection: EjectionReason | undefined;

  constructor(
    readonly window: RollingWindow,
    /** Recent latencies of answered and timed-out calls since the replica (re)joined. */
    public latencies: LatencyTracker,
  ) {}
}

/**
 * Takes replicas out of rotation for a while (gRFC A50's idea, per replica and on every call
 * instead of on an interval): on consecutive failures, on a failure ratio in a window, and, which
 * A50 has not, on a median latency far above the peers'. An ejection ends by itself; a replica that is
 * ejected again soon after stays out longer (base × n, capped), and each healthy base period since
 * its return takes one step off. Never more than a share of the set is out at once. Outcomes that
 * say nothing about the replica (`ignored`, `timeout`) are not failures; a timeout is a latency
 * sample, since it is the estimate's lower bound.
 */
export class OutlierEjector {
  private readonly consecutiveFailures: number;
  private readonly failureRatio: number;
  private readonly failureMinimumCalls: number;
  private readonly failureWindowMs: number;
  private readonly slowFactor: number;
  private readonly slowMinimumMs: number;
  private readonly slowMinimumSamples: number;
  private readonly baseEjectionMs: number;
  private readonly maxEjectionMs: number;
  private readonly maxEjectionPercent: number;
  private readonly clock: Clock;
  private readonly replicas = new Map<string, ReplicaHealth>();

  constructor(options: OutlierEjectorOptions = {}) {
    this.consecutiveFailures = options.consecutiveFailures ?? 5;
    this.failureRatio = options.failureRatio ?? 0.5;
    this.failureMinimumCalls = options.failureMinimumCalls ?? 10;
    this.failureWindowMs = options.failureWindowMs ?? 10_000;
    this.slowFactor = options.slowFactor ?? 3;
    this.slowMinimumMs = options.slowMinimumMs ?? 50;
    this.slowMinimumSamples = options.slowMinimumSamples ?? 10;
    this.baseEjectionMs = options.baseEjectionMs ?? 10_000;
    this.maxEjectionMs = Math.max(
      this.baseEjectionMs,
      options.maxEjectionMs ?? 120_000,
    );
    this.maxEjectionPercent = options.maxEjectionPercent ?? 50;
    this.clock = options.clock ?? systemClock;
    if (!(this.baseEjectionMs > 0) || !(this.failureWindowMs > 0))
      throw new RangeError(
        `OutlierEjector: baseEjectionMs and failureWindowMs must be > 0 (got ${this.baseEjectionMs}, ${this.failureWindowMs})`,
      );
  }

  /** Starts tracking a replica (again: its counters start afresh). */
  add(key: string): ReplicaHealth {
    const health = new ReplicaHealth(
      new RollingWindow(this.failureWindowMs, 10, this.clock),
      this.newLatencyTracker(),
    );
    this.replicas.set(key, health);
    return health;
  }

  delete(key: string): void {
    this.replicas.delete(key);
  }

  isEjected(key: string, nowMs = this.clock.now()): boolean {
    return (this.replicas.get(key)?.ejectedUntilMs ?? 0) > nowMs;
  }

  /**
   * Counts one finished call that took `latencyMs` (for a timeout: at least that); true when it
   * ejected the replica. `nowMs`: the clock's time, when the caller has just read it.
   */
  record(
    key: string,
    outcome: ReplicaOutcome,
    latencyMs: number,
    nowMs = this.clock.now(),
  ): boolean {
    const health = this.replicas.get(key);
    if (!health || outcome === 'ignored') return false;
    const now = nowMs;
    if (health.ejectedUntilMs !== 0 && now >= health.ejectedUntilMs)
      this.readmit(health);
    const failed = outcome === 'failure';
    if (outcome !== 'timeout') {
      health.window.record(failed, false, now);
      health.consecutive = failed ? health.consecutive + 1 : 0;
    }
    // How long a failure took says nothing of how fast the replica serves.
    if (outcome !== 'failure') {
      health.latencies.record(latencyMs);
      health.samples++;
    }
    if (health.ejectedUntilMs > now) return false;
    // Only a failure can tip the failure checks, and only a slow call the latency check.
    const reason = failed
      ? this.failureReason(health, now)
      : latencyMs >= this.slowMinimumMs
        ? this.slowReason(health, now)
        : undefined;
    if (!reason || !this.mayEjectOneMore(now)) return false;
    this.eject(health, now, reason);
    return true;
  }

  snapshot(key: string): EjectionSnapshot | undefined {
    const health = this.replicas.get(key);
    if (!health) return undefined;
    const left = Math.max(0, health.ejectedUntilMs - this.clock.now());
    return {
      ejected: left > 0,
      ejectedForMs: left,
      ejections: health.ejections,
      lastEjection: health.lastEjection,
      consecutiveFailures: health.consecutive,
    };
  }

  private failureReason(
    health: ReplicaHealth,
    now: number,
  ): EjectionReason | undefined {
    if (
      this.consecutiveFailures > 0 &&
      health.consecutive >= this.consecutiveFailures
    )
      return 'consecutive-failures';
    if (this.failureRatio > 0) {
      const { calls, failures } = health.window.counts(now);
      if (
        calls >= this.failureMinimumCalls &&
        failures >= calls * this.failureRatio
      )
        return 'failure-ratio';
    }
    return undefined;
  }

  private slowReason(
    health: ReplicaHealth,
    now: number,
  ): EjectionReason | undefined {
    if (this.slowFactor > 0 && health.samples >= this.slowMinimumSamples) {
      const mine = health.latencies.p50();
      if (mine < this.slowMinimumMs) return undefined;
      const peers: number[] = [];
      for (const other of this.replicas.values())
        if (
          other !== health &&
          other.samples >= this.slowMinimumSamples &&
          !(other.ejectedUntilMs > now)
        )
          peers.push(other.latencies.p50());
      if (!peers.length) return undefined;
      peers.sort((a, b) => a - b);
      const mid = peers.length >> 1;
      const median =
        peers.length % 2 ? peers[mid] : (peers[mid - 1] + peers[mid]) / 2;
      if (
        mine > median * this.slowFactor &&
        mine - median >= this.slowMinimumMs
      )
        return 'slow';
    }
    return undefined;
  }

  private mayEjectOneMore(now: number): boolean {
    const total = this.replicas.size;
    if (this.maxEjectionPercent <= 0 || total < 2) return false;
    let ejected = 0;
    for (const health of this.replicas.values())
      if (health.ejectedUntilMs > now) ejected++;
    const allowed = Math.min(
      total - 1,
      Math.max(1, Math.floor((total * this.maxEjectionPercent) / 100)),
    );
    return ejected < allowed;
  }

  private eject(
    health: ReplicaHealth,
    now: number,
    reason: EjectionReason,
  ): void {
    if (health.returnedAtMs !== undefined) {
      const healthyPeriods = Math.floor(
        (now - health.returnedAtMs) / this.baseEjectionMs,
      );
      health.multiplier = Math.max(0, health.multiplier - healthyPeriods);
    }
    health.multiplier++;
    health.ejectedUntilMs =
      now +
      Math.min(this.baseEjectionMs * health.multiplier, this.maxEjectionMs);
    health.ejections++;
    health.lastEjection = reason;
  }

  /** Back from an ejection: a fresh chance, judged only on what it does from now on. */
  private readmit(health: ReplicaHealth): void {
    health.returnedAtMs = health.ejectedUntilMs;
    health.ejectedUntilMs = 0;
    health.consecutive = 0;
    health.samples = 0;
    health.window.reset();
    health.latencies = this.newLatencyTracker();
  }

  private newLatencyTracker(): LatencyTracker {
    return new LatencyTracker(Math.max(2, 2 * this.slowMinimumSamples));
  }
}
