// `npm run bench:deadline`: what one request's deadline costs, side by side with the alternatives
// DESIGN.md §8 warns about, in one run. A server-like loop: CONCURRENCY requests alive at once, each
// created, linked to a long-lived server signal where the case calls for it, and released. Reports
// the median time per request over ROUNDS and the heap still held right after N requests, with the
// ratio against a bare AbortController.
import { setMaxListeners } from 'node:events';
import { Deadline } from '@lib/deadline';

const N = Number(process.env.BENCH_N ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;

interface Case {
  readonly name: string;
  /** One request's deadline; returns what releases it when the request ends. */
  readonly start: (server: AbortSignal) => () => void;
}

const noop = (): void => undefined;
/** Where a case parks the signal it made, so the allocation cannot be optimised away. */
export let sink: AbortSignal | undefined;

const CASES: readonly Case[] = [
  {
    // The signal must escape, as a request's does, or the JIT removes the allocation altogether.
    name: 'AbortController, signal kept (baseline)',
    start: () => {
      sink = new AbortController().signal;
      return noop;
    },
  },
  {
    name: 'Deadline.after + dispose (this project: one per tier per request)',
    start: () => {
      const deadline = Deadline.after(1_000);
      return () => deadline.dispose();
    },
  },
  {
    name: 'Deadline.after linked by hand to a server signal + dispose',
    start: (server) => {
      const deadline = Deadline.after(1_000, { signal: server });
      return () => deadline.dispose();
    },
  },
  {
    name: 'AbortSignal.timeout (its timer cannot be cleared)',
    start: () => (AbortSignal.timeout(1_000), noop),
  },
  {
    name: 'AbortSignal.any([server, AbortSignal.timeout])',
    start: (server) => (
      AbortSignal.any([server, AbortSignal.timeout(1_000)]),
      noop
    ),
  },
];

function measure(c: Case): { usPerRequest: number; heldMb: number } {
  const samples: number[] = [];
  let heldMb = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const server = new AbortController(); // long-lived, like a shutdown signal (nodejs/node#55351)
    setMaxListeners(0, server.signal);
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const live: ((() => void) | undefined)[] = new Array<
      (() => void) | undefined
    >(CONCURRENCY);
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const slot = i % CONCURRENCY;
      live[slot]?.();
      live[slot] = c.start(server.signal);
    }
    for (const release of live) release?.();
    samples.push(Number(process.hrtime.bigint() - started) / N / 1_000);
    gc?.();
    heldMb = Math.max(
      heldMb,
      (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024,
    );
  }
  samples.sort((a, b) => a - b);
  return { usPerRequest: samples[Math.floor(samples.length / 2)], heldMb };
}

function main(): void {
  if (!gc)
    process.stderr.write(
      'note: run with --expose-gc for the heap column (npm run bench:deadline does)\n',
    );
  process.stdout.write(
    `deadline core: ${N.toLocaleString('en')} requests, ${CONCURRENCY} alive at once, median of ${ROUNDS} rounds, Node ${process.version}\n\n`,
  );
  const rows = CASES.map((c) => ({ name: c.name, ...measure(c) }));
  const base = rows[0];
  const table = [
    ['case', 'µs / request', 'ratio', 'heap held after N'],
    ...rows.map((r) => [
      r.name,
      r.usPerRequest.toFixed(3),
      `${(r.usPerRequest / base.usPerRequest).toFixed(1)}×`,
      gc ? `${r.heldMb.toFixed(1)} MB` : 'n/a',
    ]),
  ];
  const widths = table[0].map((_, i) =>
    Math.max(...table.map((row) => row[i].length)),
  );
  for (const row of table)
    process.stdout.write(
      `${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}\n`,
    );
}

main();
