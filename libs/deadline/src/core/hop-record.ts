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
  /**
   * Which process of the tier served it (`REPLICA_ID`, by default `<hostname>:<port>`); absent in
   * records from tiers that predate it, and in a caller's own view of a downstream that never answered.
   */
  readonly replica?: string;
}

/** Response metadata key that carries a tier's records (its own first, then its downstreams'). */
export const HOPS_METADATA_KEY = 'x-deadline-hops';

/** A hostile or broken downstream cannot make us parse or keep more than this. */
const MAX_ENCODED_LENGTH = 8 * 1024;
const MAX_HOPS = 32;
/** Longest service or method name kept from a downstream's record. */
const MAX_NAME_LENGTH = 64;
/** Longest replica name kept (a Kubernetes pod name is up to 63 characters, then `:<port>`). */
export const MAX_REPLICA_LENGTH = 96;
const OUTCOMES: ReadonlySet<string> = new Set<HopOutcome>([
  'ok',
  'deadline_exceeded',
  'cancelled',
  'error',
]);
const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * One JSON array per record: `[service, method, received, spent, forwarded, outcome]`, then the
 * replica as a 7th element when the record names one (a record without stays 6 long, as before).
 */
export function encodeHops(hops: readonly HopRecord[]): string {
  return JSON.stringify(
    hops.slice(0, MAX_HOPS).map((h) => {
      const row: (string | number | null)[] = [
        h.service,
        h.method,
        h.receivedBudgetMs === null ? null : round(h.receivedBudgetMs),
        round(h.spentMs),
        h.forwardedBudgetMs === null ? null : round(h.forwardedBudgetMs),
        h.outcome,
      ];
      if (h.replica) row.push(h.replica.slice(0, MAX_REPLICA_LENGTH));
      return row;
    }),
  );
}

/**
 * Parses records from metadata; anything malformed yields an empty list rather than an error. Rows
 * are 6 long (a tier that names no replica, or predates replica names) or 7 (the replica last).
 */
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
    if (!Array.isArray(row) || (row.length !== 6 && row.length !== 7))
      return [];
    const [service, method, received, spent, forwarded, outcome, replica] =
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
      (forwarded !== null && typeof forwarded !== 'number') ||
      (row.length === 7 && typeof replica !== 'string')
    )
      return [];
    hops.push({
      service: service.slice(0, MAX_NAME_LENGTH),
      method: method.slice(0, MAX_NAME_LENGTH),
      receivedBudgetMs: received,
      spentMs: spent,
      forwardedBudgetMs: forwarded,
      outcome: outcome as HopOutcome,
      ...(typeof replica === 'string' && replica !== ''
        ? { replica: replica.slice(0, MAX_REPLICA_LENGTH) }
        : {}),
    });
  }
  return hops;
}
