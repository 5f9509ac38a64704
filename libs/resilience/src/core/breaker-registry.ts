import { type BreakerStateChange } from './deadline-breaker.js';
import {
  type DownstreamSnapshot,
  type ResilienceOptions,
  ResilientDownstream,
} from './resilient-downstream.js';

/** The guards of one process, one per downstream, sharing defaults and a state-change listener. */
export class BreakerRegistry {
  private readonly downstreams = new Map<string, ResilientDownstream>();

  constructor(
    private readonly defaults: ResilienceOptions = {},
    private readonly overrides: Readonly<
      Record<string, ResilienceOptions>
    > = {},
    private readonly onStateChange?: (change: BreakerStateChange) => void,
  ) {}

  /** The guard of downstream `name`, created on first use from defaults, overrides and `extra`. */
  get(name: string, extra: ResilienceOptions = {}): ResilientDownstream {
    let downstream = this.downstreams.get(name);
    if (!downstream) {
      downstream = new ResilientDownstream(name, {
        ...this.defaults,
        ...extra,
        ...this.overrides[name],
      });
      if (this.onStateChange) downstream.onStateChange(this.onStateChange);
      this.downstreams.set(name, downstream);
    }
    return downstream;
  }

  /** Every breaker's state, for `GET /health`. */
  snapshot(): Record<string, DownstreamSnapshot> {
    const out: Record<string, DownstreamSnapshot> = {};
    for (const [name, downstream] of this.downstreams)
      out[name] = downstream.snapshot();
    return out;
  }

  dispose(): void {
    for (const downstream of this.downstreams.values()) downstream.dispose();
  }
}
