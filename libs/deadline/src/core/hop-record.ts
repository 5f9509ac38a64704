/** How one hop's work on a request ended. */
export type HopOutcome = 'ok' | 'deadline_exceeded' | 'cancelled' | 'error';

/**
 * One tier's line in the narrative's ContextTracer table: what budget it received, how long it
 * worked, what it passed on.
 */
export interface HopRecord {
  readonly service: string;
  readonly method: string;
  /** Budget on arrival; `null` when the caller sent no deadline. */
  readonly receivedBudgetMs: number | null;
  readonly spentMs: number;
  /** Budget given to the last downstream call; `null` when it called nobody. */
  readonly forwardedBudgetMs: number | null;
  readonly outcome: HopOutcome;
}

/** Response metadata key that carries a tier's records (its own first, then its downstreams'). */
export const HOPS_METADATA_KEY = 'x-deadline-hops';

/** A hostile or broken downstream cannot make us parse or keep more than this. */
const MAX_ENCODED_LENGTH = 8 * 1024;
const MAX_HOPS = 32;
const OUTCOMES: ReadonlySet<string> = new Set<HopOutcome>([
  'ok',
  'deadline_exceeded',
  'cancelled',
  'error',
]);
const round = (ms: number): number => Math.round(ms * 100) / 100;

export function encodeHops(hops: readonly HopRecord[]): string {
  return JSON.stringify(
    hops
      .slice(0, MAX_HOPS)
      .map((h) => [
        h.service,
        h.method,
        h.receivedBudgetMs === null ? null : round(h.receivedBudgetMs),
        round(h.spentMs),
        h.forwardedBudgetMs === null ? null : round(h.forwardedBudgetMs),
        h.outcome,
      ]),
  );
}

/** Parses records from metadata; anything malformed yields an empty list rather than an error. */
export function decodeHops(value: unknown): HopRecord[] {
  if (typeof value !== 'string' || value.length > MAX_ENCODED_LENGTH) return [];
  let rows: unknown;
  try {
    rows = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const hops: HopRecord[] = [];
  for (const row of rows.slice(0, MAX_HOPS)) {
    if (!Array.isArray(row) || row.length !== 6) return [];
    const [service, method, received, spent, forwarded, outcome] =
      row as unknown[];
    if (
      typeof service !== 'string' ||
      typeof method !== 'string' ||
      typeof spent !== 'number' ||
      typeof outcome !== 'string' ||
      !OUTCOMES.has(outcome)
    )
      return [];
    if (
      (received !== null && typeof received !== 'number') ||
      (forwarded !== null && typeof forwarded !== 'number')
    )
      return [];
    hops.push({
      service: service.slice(0, 64),
      method: method.slice(0, 64),
      receivedBudgetMs: received,
      spentMs: spent,
      forwardedBudgetMs: forwarded,
      outcome: outcome as HopOutcome,
    });
  }
  return hops;
}
