import type { Deadline } from './deadline.js';
import { type HopOutcome, type HopRecord } from './hop-record.js';

/** EventTarget warns past 10 listeners; a request legitimately fanning out further is not a leak. */
const FAN_OUT_WARNING_AT = 8;

/**
 * What one tier knows about the request it is serving: its deadline, what it received and
 * forwarded, and the records its downstreams sent back. Lives for one request in one tier.
 */
export class DeadlineScope {
  private forwardedBudgetMs: number | null = null;
  private readonly downstreamHops: HopRecord[] = [];

  constructor(
    readonly deadline: Deadline,
    readonly service: string,
    readonly method: string,
    /** Budget on arrival; `null` when the caller sent none and a local default applies. */
    readonly receivedBudgetMs: number | null,
    /** Position in the chain: 0 at the edge, +1 per hop. */
    readonly hop = 0,
    /** Which process of the tier serves it, named in its record. @default none */
    readonly replica?: string,
  ) {}

  /** Outgoing calls in flight on this scope's signal. */
  private inFlight = 0;

  /** Called by outgoing clients around each call; a wide fan-out lifts the signal's listener warning once. */
  callStarted(): void {
    if (++this.inFlight === FAN_OUT_WARNING_AT)
      this.deadline.allowManyListeners();
  }

  callEnded(): void {
    this.inFlight--;
  }

  /** Called by outgoing clients with the budget they put on the wire. */
  recordForward(budgetMs: number): void {
    this.forwardedBudgetMs = Math.round(budgetMs * 100) / 100;
  }

  /** Called by outgoing clients with the records a downstream sent back. */
  recordDownstream(hops: readonly HopRecord[]): void {
    this.downstreamHops.push(...hops);
  }

  /** This tier's own record. */
  record(outcome: HopOutcome): HopRecord {
    return {
      service: this.service,
      method: this.method,
      receivedBudgetMs: this.receivedBudgetMs,
      spentMs: Math.round(this.deadline.elapsed() * 100) / 100,
      forwardedBudgetMs: this.forwardedBudgetMs,
      outcome,
      ...(this.replica ? { replica: this.replica } : {}),
    };
  }

  /** This tier's record followed by its downstreams', in call order. */
  hops(outcome: HopOutcome): HopRecord[] {
    return [this.record(outcome), ...this.downstreamHops];
  }
}
