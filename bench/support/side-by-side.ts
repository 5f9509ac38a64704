import { loadavg } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import { OtlpReceiver } from '../../tools/otlp/index.js';
import {
  BenchStack,
  type Mode,
  stopBenchStacksOnSignal,
} from './bench-stack.js';
import { runLoad } from './http-load.js';
import { processCpuMs } from './process-cpu.js';
import { change, percentile, round } from './stats.js';

/**
 * Compares builds of the five tiers that differ in their environment by CPU time per request. One
 * stack per variant, the baseline among them and a second baseline stack as a control, all started
 * up front and then loaded *at the same time*, the same load on each (POST /orders, a fixed number
 * in flight) for the same windows. Whatever the shared machine does during a window (other work, CPU
 * frequency, a busy neighbour) it does to every variant, and every stack has the same history: CPU
 * per request depends on it (a stack loaded more often runs cheaper: caches, V8's optimizations),
 * which rules out taking turns. The control's row is how far apart two identical stacks land: the
 * noise floor of the figures beside it.
 */
export interface Variant {
  readonly name: string;
  readonly mode: Mode;
  /** Tier environment; `$SINK` stands for the URL of an OTLP receiver started for this variant. */
  readonly env: Record<string, string>;
}

interface SideBySideOptions {
  readonly baseline: Variant;
  readonly variants: readonly Variant[];
  readonly rounds: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  /** Requests in flight on each stack. */
  readonly concurrency: number;
  /** Environment for every stack. */
  readonly sharedEnv?: Record<string, string>;
  readonly log?: (line: string) => void;
}

/** One stack's share of one window. */
interface Window {
  readonly latencies: number[];
  readonly statuses: Map<number, number>;
  readonly cpuMs: number;
  readonly elapsedMs: number;
}

interface SideBySideRow {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  readonly statuses: string;
  readonly cpuMsPerRequest: number;
  /** CPU per request against the baseline over all windows, and the range over single windows, in %; absent for the baseline. */
  readonly cpuVsBaseline?: {
    readonly all: number;
    readonly min: number;
    readonly max: number;
  };
  readonly requestsPerSec: number;
  readonly rpsVsBaseline?: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Spans the variant's OTLP receiver got per request, when it has one. */
  readonly spansExported?: number;
}

const cpuPerRequest = (windows: readonly Window[]): number =>
  windows.reduce((n, w) => n + w.cpuMs, 0) /
  windows.reduce((n, w) => n + w.latencies.length, 0);
const perSecond = (windows: readonly Window[]): number =>
  (windows.reduce((n, w) => n + w.latencies.length, 0) * 1000) /
  windows.reduce((n, w) => n + w.elapsedMs, 0);

/** CPU time so far of every process of the stack; refuses a stack with a process down (its figures would be short). */
function cpuOf(bench: BenchStack): number {
  const processes = bench.processes;
  const ms = processes.every((p) => p.running)
    ? processCpuMs(processes.map((p) => p.pid!))
    : undefined;
  if (ms === undefined)
    throw new Error(
      `cannot read the CPU time of the stack's processes (${processes.map((p) => `${p.name} ${p.running ? p.pid : 'down'}`).join(', ')}): this comparison needs Linux /proc and running tiers`,
    );
  return ms;
}

async function runSideBySide(
  options: SideBySideOptions,
): Promise<SideBySideRow[]> {
  const {
    baseline,
    variants,
    rounds,
    windowMs,
    warmupMs,
    concurrency,
    sharedEnv = {},
    log = (): void => undefined,
  } = options;
  for (const [name, value] of Object.entries({
    rounds,
    windowMs,
    warmupMs,
    concurrency,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a whole number ≥ 1, not ${value}`);
  }
  const all = [baseline, ...variants];
  const names = all.map((v) => v.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length)
    throw new Error(
      `variant names must differ: ${[...new Set(repeated)].join(', ')} given twice`,
    );
  const sinks = new Map<string, OtlpReceiver>();
  const stacks = new Map<string, BenchStack>();

  const loadWindow = async (
    bench: BenchStack,
    durationMs: number,
  ): Promise<Window> => {
    const cpuBefore = cpuOf(bench);
    const startedAt = performance.now();
    const results = await runLoad({
      url: bench.ordersUrl,
      headers: {
        authorization: `Bearer ${bench.token}`,
        'x-request-timeout': '5000',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
      concurrency,
      durationMs,
      clientTimeoutMs: 10_000,
      // The edge starts every trace, so its sampler decides (a sampled traceparent would force recording).
      traceContext: false,
    });
    const elapsedMs = performance.now() - startedAt;
    const cpuMs = cpuOf(bench) - cpuBefore;
    bench.forgetEvents();
    if (!results.length)
      throw new Error(
        `no request completed within a ${durationMs} ms window on ${bench.ordersUrl}`,
      );
    const statuses = new Map<number, number>();
    for (const r of results)
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    return {
      latencies: results.map((r) => r.latencyMs),
      statuses,
      cpuMs,
      elapsedMs,
    };
  };

  try {
    for (const variant of all) {
      log(`starting: ${variant.name}`);
      let env: Record<string, string> = { ...sharedEnv, ...variant.env };
      if (Object.values(env).includes('$SINK')) {
        const sink = await OtlpReceiver.start();
        sinks.set(variant.name, sink);
        env = Object.fromEntries(
          Object.entries(env).map(([k, v]) => [
            k,
            v === '$SINK' ? sink.url : v,
          ]),
        );
      }
      stacks.set(variant.name, await BenchStack.start(variant.mode, env));
    }
    log(`warming up all ${all.length} stacks at once for ${warmupMs / 1000} s`);
    await Promise.all(
      all.map((v) => loadWindow(stacks.get(v.name)!, warmupMs)),
    );
    // Let the batch exporters (5 s schedule) send the warm-up's spans before counting.
    if (sinks.size) await pause(6_000);
    const exportedBefore = new Map(
      [...sinks].map(([name, sink]) => [name, sink.spans]),
    );

    const windows = new Map<string, Window[]>(all.map((v) => [v.name, []]));
    for (let r = 0; r < rounds; r++) {
      const results = await Promise.all(
        all.map((v) => loadWindow(stacks.get(v.name)!, windowMs)),
      );
      all.forEach((v, i) => windows.get(v.name)!.push(results[i]));
      log(
        `window ${r + 1}/${rounds}, CPU ms/request: ${all.map((v, i) => `${v.name} ${cpuPerRequest([results[i]]).toFixed(2)}`).join(', ')}; load ${loadavg()[0].toFixed(2)}`,
      );
    }
    // Give the batch exporters their schedule to send what the last windows recorded.
    if (sinks.size) await pause(6_000);

    const base = windows.get(baseline.name)!;
    return all.map((variant) => {
      const mine = windows.get(variant.name)!;
      const sorted = mine.flatMap((w) => w.latencies).sort((a, b) => a - b);
      const statuses = new Map<number, number>();
      for (const w of mine)
        for (const [s, n] of w.statuses)
          statuses.set(s, (statuses.get(s) ?? 0) + n);
      const sink = sinks.get(variant.name);
      const isBaseline = variant === baseline;
      const perWindow = isBaseline
        ? []
        : mine.map((w, i) =>
            change(cpuPerRequest([base[i]]), cpuPerRequest([w])),
          );
      return {
        name: variant.name,
        requests: sorted.length,
        failed: sorted.length - (statuses.get(201) ?? 0),
        statuses: [...statuses].map(([s, n]) => `${n}× ${s}`).join(', '),
        cpuMsPerRequest: round(cpuPerRequest(mine), 2),
        ...(isBaseline
          ? {}
          : {
              cpuVsBaseline: {
                all: change(cpuPerRequest(base), cpuPerRequest(mine)),
                min: Math.min(...perWindow),
                max: Math.max(...perWindow),
              },
            }),
        requestsPerSec: round(perSecond(mine), 1),
        ...(isBaseline
          ? {}
          : { rpsVsBaseline: change(perSecond(base), perSecond(mine)) }),
        p50Ms: round(percentile(sorted, 50), 1),
        p99Ms: round(percentile(sorted, 99), 1),
        ...(sink
          ? {
              spansExported: round(
                (sink.spans - exportedBefore.get(variant.name)!) /
                  sorted.length,
                2,
              ),
            }
          : {}),
      };
    });
  } finally {
    // Every stack and receiver, even if one of them fails to stop.
    await Promise.allSettled([
      ...[...stacks.values()].map((bench) => bench.stop()),
      ...[...sinks.values()].map((sink) => sink.stop()),
    ]);
  }
}

/** The table for docs/benchmarks.md. */
function sideBySideTable(
  rows: readonly SideBySideRow[],
  baselineName: string,
): string {
  const spans = rows.some((r) => r.spansExported !== undefined);
  const lines = [
    `| variant | requests | not 201 | CPU ms/request, all tiers | CPU vs ${baselineName} (range over windows) | req/s | req/s vs ${baselineName} | p50 ms | p99 ms |${spans ? ' spans exported/request |' : ''}`,
    `|---|---:|---:|---:|---|---:|---:|---:|---:|${spans ? '---:|' : ''}`,
    ...rows.map((r) => {
      const cpuVs = r.cpuVsBaseline
        ? `${r.cpuVsBaseline.all} % (${r.cpuVsBaseline.min} … ${r.cpuVsBaseline.max})`
        : '–';
      const rpsVs =
        r.rpsVsBaseline === undefined ? '–' : `${r.rpsVsBaseline} %`;
      return `| ${r.name} | ${r.requests} | ${r.failed} | ${r.cpuMsPerRequest.toFixed(2)} | ${cpuVs} | ${r.requestsPerSec} | ${rpsVs} | ${r.p50Ms} | ${r.p99Ms} |${spans ? ` ${r.spansExported?.toFixed(2) ?? '–'} |` : ''}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

/** Refuses a run where orders failed: it measured something else (a failure is cheaper than an order). */
function assertOrdersSucceeded(rows: readonly SideBySideRow[]): void {
  const broken = rows.filter((r) => r.failed > r.requests / 100);
  if (broken.length)
    throw new Error(
      `more than 1 % of the orders failed, so the figures above do not count: ${broken.map((r) => `${r.name}: ${r.statuses}`).join('; ')}`,
    );
}

/** Extra variants from the command line: `name:VAR=value,VAR=value|…`. */
export function parseVariants(raw: string, mode: Mode): Variant[] {
  return raw
    .split('|')
    .filter((v) => v.trim())
    .map((v) => {
      // Split at the first ':' and '=' only: values may hold them (an endpoint URL).
      const colon = v.indexOf(':');
      const name = colon === -1 ? v : v.slice(0, colon);
      const env: Record<string, string> = {};
      for (const assignment of (colon === -1 ? '' : v.slice(colon + 1))
        .split(',')
        .filter(Boolean)) {
        const equals = assignment.indexOf('=');
        if (equals < 1)
          throw new Error(`BENCH_VARIANTS: "${assignment}" is not VAR=value`);
        env[assignment.slice(0, equals).trim()] = assignment
          .slice(equals + 1)
          .trim();
      }
      return { name: name.trim(), mode, env };
    });
}

/**
 * A command-line comparison: the variants beside the baseline, 2 requests in flight on each stack,
 * `BENCH_ROUNDS` windows of `BENCH_WINDOW_MS` after `BENCH_WARMUP_MS`; prints the table.
 */
export function sideBySideCommand(
  title: string,
  baseline: Variant,
  variants: readonly Variant[],
  baselineLabel = baseline.name,
): void {
  stopBenchStacksOnSignal();
  // The control: the baseline again, so its row shows how far apart two identical stacks land.
  const control: Variant = {
    ...baseline,
    name: `${baseline.name}, a second stack (control)`,
  };
  const options: SideBySideOptions = {
    baseline,
    variants: [control, ...variants],
    rounds: Number(process.env.BENCH_ROUNDS ?? 10),
    windowMs: Number(process.env.BENCH_WINDOW_MS ?? 10_000),
    warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 40_000),
    concurrency: 2,
    // One PostgreSQL server for all the stacks (max_connections 100): four data-tier processes per
    // stack at the default 10 connections each would not fit six stacks; 2 requests in flight need few.
    sharedEnv: { DATABASE_POOL_SIZE: '3' },
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const run = async (): Promise<void> => {
    process.stderr.write(
      `${title}: ${options.variants.length + 1} stacks loaded at once, ${options.rounds} windows of ${options.windowMs / 1000} s, ${options.concurrency} in flight on each, load ${loadavg()[0].toFixed(2)}\n`,
    );
    const rows = await runSideBySide(options);
    process.stdout.write(sideBySideTable(rows, baselineLabel));
    process.stderr.write(`load at end ${loadavg()[0].toFixed(2)}\n`);
    assertOrdersSucceeded(rows);
  };
  run().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
