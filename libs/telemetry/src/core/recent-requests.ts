import type { HopRecord } from '@lib/deadline';
import type { DeadlineOutcome } from './deadline-attributes.js';

/** One request as the edge saw it end, with every hop's record that came back. */
export interface RecentRequest {
  /** Increasing per process; stable while the request stays in the buffer. */
  readonly id: number;
  /** Wall-clock end time, ms since the epoch (for display). */
  readonly endedAt: number;
  /** `POST /orders`. */
  readonly method: string;
  readonly outcome: DeadlineOutcome;
  /** Budget the request ran with, ms. */
  readonly budgetMs: number | null;
  readonly spentMs: number;
  readonly reason?: string;
  /** W3C trace id, when tracing is on. */
  readonly traceId?: string;
  /** The edge first, then each downstream in call order; partial when a hop failed. */
  readonly hops: readonly HopRecord[];
  /** For a stream (`GET /orders/:id/events`): when its first event went out, how many, how it ended. */
  readonly stream?: {
    readonly firstMessageMs: number | null;
    readonly messages: number;
    readonly end: string;
  };
}

export interface RecentRequestsOptions {
  /** How many requests to keep; the oldest goes first. @default 200 */
  readonly capacity?: number;
}

/** A bounded ring buffer of recently ended requests: memory stays flat however busy the edge is. */
export class RecentRequests {
  readonly capacity: number;
  private readonly slots: (RecentRequest | undefined)[];
  private next = 0;
  private lastId = 0;

  constructor(options: RecentRequestsOptions = {}) {
    const { capacity = 200 } = options;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(
        `RecentRequests: capacity must be a whole number ≥ 1, got ${capacity}`,
      );
    this.capacity = capacity;
    this.slots = new Array<RecentRequest | undefined>(capacity);
  }

  add(request: Omit<RecentRequest, 'id'>): RecentRequest {
    const stored = { ...request, id: ++this.lastId };
    this.slots[this.next] = stored;
    this.next = (this.next + 1) % this.capacity;
    return stored;
  }

  /** Newest first, optionally only one outcome. */
  list(outcome?: DeadlineOutcome): RecentRequest[] {
    const out: RecentRequest[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const request =
        this.slots[(this.next - i + this.capacity) % this.capacity];
      if (request && (outcome === undefined || request.outcome === outcome))
        out.push(request);
    }
    return out;
  }

  get(id: number): RecentRequest | undefined {
    return this.slots.find((r) => r?.id === id);
  }
}
