import { type Clock, systemClock, type TimerHandle } from '@lib/deadline';
import { describeFault, type FaultSpec } from './fault-spec.js';

/** A fault as listed by `GET /chaos/faults` and `GET /health`. */
export interface FaultSnapshot extends FaultSpec {
  readonly id: string;
  readonly description: string;
  /** Milliseconds left before it clears itself; absent when it has no duration. */
  readonly expiresInMs?: number;
  /** Calls that matched its method. */
  readonly matched: number;
  /** Calls it caught (passed the percentage and the concurrency cap). */
  readonly injected: number;
  /** Calls it holds right now, and the most it ever held at once. */
  readonly active: number;
  readonly peakActive: number;
}

/** Calls in flight per method through the chaos hook, faulted or not. */
export interface MethodLoad {
  readonly inFlight: number;
  readonly peakInFlight: number;
}

export type FaultEvent =
  | { readonly type: 'added'; readonly fault: FaultSnapshot }
  | { readonly type: 'cleared' | 'expired'; readonly fault: FaultSnapshot };

export interface FaultRegistryOptions {
  /** @default performance.now() and unref'd timers */
  readonly clock?: Clock;
  /** Uniform in [0, 1), for the percentage roll. @default Math.random */
  readonly random?: () => number;
  /** Told when a fault is added, cleared or expires (logs). */
  readonly onChange?: (event: FaultEvent) => void;
  /** Most faults active at once; more is refused. @default 32 */
  readonly maxFaults?: number;
}

/** One call's passage through the hook: the fault that caught it, if any, and how to let go. */
export interface FaultLease {
  readonly fault: FaultSnapshot | undefined;
  /** Idempotent; call once the handler has answered. */
  release(): void;
}

interface Entry {
  readonly id: string;
  readonly spec: FaultSpec;
  readonly expiresAt: number | undefined;
  readonly timer: TimerHandle | undefined;
  matched: number;
  injected: number;
  active: number;
  peakActive: number;
}

/** Refused because the registry already holds `maxFaults`. */
export class TooManyFaultsError extends Error {
  readonly tag = 'TooManyFaultsError' as const;
  override readonly name = 'TooManyFaultsError';
  static is(error: unknown): error is TooManyFaultsError {
    return (error as { tag?: unknown } | null)?.tag === 'TooManyFaultsError';
  }
}

/**
 * The faults active in one process, and the decision for each incoming call: which fault (if
 * any) catches it, given method, percentage, concurrency cap and expiry. Faults that have a
 * duration clear themselves on a timer, so logs and health show them leaving.
 */
export class FaultRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly load = new Map<
    string,
    { inFlight: number; peakInFlight: number }
  >();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxFaults: number;
  private nextId = 1;

  constructor(private readonly options: FaultRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxFaults = options.maxFaults ?? 32;
  }

  add(spec: FaultSpec): FaultSnapshot {
    if (this.entries.size >= this.maxFaults)
      throw new TooManyFaultsError(
        `at most ${this.maxFaults} faults may be active at once; clear some first`,
      );
    const id = `f${this.nextId++}`;
    const timer =
      spec.durationMs === undefined
        ? undefined
        : this.clock.setTimeout(
            () => this.remove(id, 'expired'),
            spec.durationMs,
          );
    const entry: Entry = {
      id,
      spec,
      expiresAt:
        spec.durationMs === undefined
          ? undefined
          : this.clock.now() + spec.durationMs,
      timer,
      matched: 0,
      injected: 0,
      active: 0,
      peakActive: 0,
    };
    this.entries.set(id, entry);
    const fault = this.snapshotOf(entry);
    this.options.onChange?.({ type: 'added', fault });
    return fault;
  }

  list(): FaultSnapshot[] {
    return [...this.entries.values()].map((entry) => this.snapshotOf(entry));
  }

  /** Removes one fault; `false` when no such id is active. */
  remove(id: string, why: 'cleared' | 'expired' = 'cleared'): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    this.options.onChange?.({ type: why, fault: this.snapshotOf(entry) });
    return true;
  }

  /** Removes every fault; returns how many there were. */
  clear(): number {
    const ids = [...this.entries.keys()];
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  /** Calls in flight per method, and the most seen at once since the last {@link resetLoad}. */
  loadByMethod(): Record<string, MethodLoad> {
    return Object.fromEntries(
      [...this.load].map(([method, load]) => [method, { ...load }]),
    );
  }

  /** Restarts the peaks from the current in-flight counts (between benchmark runs). */
  resetLoad(): void {
    for (const load of this.load.values()) load.peakInFlight = load.inFlight;
  }

  /**
   * Called as a call arrives: the first active fault on its method that rolls within its
   * percentage and has room under its cap catches it. Always release the lease.
   */
  enter(method: string): FaultLease {
    const load = this.load.get(method) ?? { inFlight: 0, peakInFlight: 0 };
    this.load.set(method, load);
    load.inFlight++;
    load.peakInFlight = Math.max(load.peakInFlight, load.inFlight);
    const entry = this.pick(method);
    let released = false;
    return {
      fault: entry && this.snapshotOf(entry),
      release: () => {
        if (released) return;
        released = true;
        load.inFlight--;
        if (entry) entry.active--;
      },
    };
  }

  private pick(method: string): Entry | undefined {
    const now = this.clock.now();
    for (const entry of this.entries.values()) {
      if (entry.spec.method !== '*' && entry.spec.method !== method) continue;
      // The timer clears it too; this covers a timer that has not fired yet on a busy loop.
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) continue;
      entry.matched++;
      if (this.random() * 100 >= entry.spec.percent) continue;
      if (
        entry.spec.maxConcurrent !== undefined &&
        entry.active >= entry.spec.maxConcurrent
      )
        continue;
      entry.injected++;
      entry.active++;
      entry.peakActive = Math.max(entry.peakActive, entry.active);
      return entry;
    }
    return undefined;
  }

  private snapshotOf(entry: Entry): FaultSnapshot {
    const { id, spec, matched, injected, active, peakActive } = entry;
    const expiresInMs =
      entry.expiresAt === undefined
        ? undefined
        : Math.max(0, Math.round(entry.expiresAt - this.clock.now()));
    return {
      id,
      ...spec,
      description: describeFault(spec),
      ...(expiresInMs === undefined ? {} : { expiresInMs }),
      matched,
      injected,
      active,
      peakActive,
    };
  }
}
