import type { HopRecord } from './hop-record.js';

/**
 * Renders hop records as the narrative's ContextTracer table: level, initial deadline,
 * remaining deadline (what the hop passed on, or had left when it finished), decay rate. A last
 * column names the replica that served each hop, when any record names one.
 */
export function formatHopTable(hops: readonly HopRecord[]): string {
  const withReplica = hops.some((hop) => hop.replica !== undefined);
  const header = [
    'level',
    'service',
    'method',
    'initial',
    'remaining',
    'spent',
    'decay',
    'outcome',
    ...(withReplica ? ['replica'] : []),
  ];
  const rows = hops.map((hop, level) => {
    const initial = hop.receivedBudgetMs;
    const remaining =
      hop.forwardedBudgetMs ??
      (initial === null ? null : Math.max(0, initial - hop.spentMs));
    const decay =
      initial && remaining !== null
        ? `${(((initial - remaining) / initial) * 100).toFixed(1)}%`
        : '–';
    return [
      String(level),
      hop.service,
      hop.method,
      ms(initial),
      ms(remaining),
      ms(hop.spentMs),
      decay,
      hop.outcome,
      ...(withReplica ? [hop.replica ?? '–'] : []),
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) =>
        i >= 3 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [
    line(header),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map(line),
  ].join('\n');
}

function ms(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)} ms`;
}
