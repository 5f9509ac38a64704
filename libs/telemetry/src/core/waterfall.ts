import type { HopRecord } from '@lib/deadline';
import { decayPct } from './deadline-attributes.js';

/** One hop drawn on the request's time axis (ms from the moment the edge received it). */
export interface WaterfallBar {
  readonly level: number;
  readonly service: string;
  readonly method: string;
  /** When the hop started working, inferred from its budget (see {@link waterfallOf}). */
  readonly startMs: number;
  readonly spentMs: number;
  /** Budget the hop received; its bar's budget runs from `startMs` to `deadlineAtMs`. */
  readonly receivedBudgetMs: number | null;
  readonly forwardedBudgetMs: number | null;
  /** Where this hop's deadline fell on the shared axis. */
  readonly deadlineAtMs: number | null;
  readonly decayPct: number | null;
  readonly outcome: HopRecord['outcome'];
  /** The replica that served the hop; `null` when its record names none. */
  readonly replica: string | null;
}

/**
 * Lays hop records on one time axis. Hops carry budgets, not clocks (hosts' clocks need not
 * agree), so a hop's start is inferred from what it received: `edge budget − received budget`.
 * Every hop then shares the edge's deadline; the reserves kept back upstream show as part of the
 * time before a hop started, which is what they cost it.
 */
export function waterfallOf(hops: readonly HopRecord[]): WaterfallBar[] {
  const root = hops[0]?.receivedBudgetMs ?? null;
  return hops.map((hop, level) => {
    const received = hop.receivedBudgetMs;
    const startMs =
      level === 0 || root === null || received === null
        ? 0
        : Math.max(0, round(root - received));
    const left =
      hop.forwardedBudgetMs ??
      (received === null ? null : Math.max(0, received - hop.spentMs));
    return {
      level,
      service: hop.service,
      method: hop.method,
      startMs,
      spentMs: hop.spentMs,
      receivedBudgetMs: received,
      forwardedBudgetMs: hop.forwardedBudgetMs,
      deadlineAtMs: received === null ? null : round(startMs + received),
      decayPct: decayPct(received, left) ?? null,
      outcome: hop.outcome,
      replica: hop.replica ?? null,
    };
  });
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
