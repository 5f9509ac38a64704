import { loadavg } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import { OtlpReceiver } from '../../tools/otlp/index.js';
import {
  BenchStack,
  type Mode,
  stopBenchStacksOnSignal,
} from './bench-stack.js';
import { loadOrders } from './http-load.js';
import {
  CpuMeter,
  type CpuReading,
  type IdleRate,
  idleRate,
  netPerRequest,
} from './cpu-meter.js';
import { PgServerCpu } from './pg-server-cpu.js';
import { type WarmUpOptions, warmUntilFlat } from './warm-up.js';
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
 *
 * Before the windows count, every stack is warmed until its CPU per request is flat, then all are
 * left idle for a quiet window: each stack's idle CPU per second (sweepers, timers), which at a low
 * rate is a visible share of a window, is taken off its per-request figure. The PostgreSQL server's
 * backends for each stack's own database are counted apart from the tiers.
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
  /** Warm-up windows (timed: `windowMs` each), until every stack's CPU per request is flat. */
  readonly warmUp: Omit<WarmUpOptions, 'windowRequests'>;
  /** The quiet window after the warm-up that measures each stack's idle CPU, in ms. */
  readonly idleMs: number;
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
  readonly cpu: CpuReading;
}

interface SideBySideRow {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  readonly statuses: string;
  /** The tiers' CPU per request, net of their idle CPU over the same time. */
  readonly cpuMsPerRequest: number;
  /** The PostgreSQL server's CPU per request for the stack's database, net of its idle CPU. */
  readonly pgCpuMsPerRequest?: number;
  readonly idleCpuMsPerSec: number;
  readonly pgIdleCpuMsPerSec?: number;
  /** CPU per request (net of idle) against the baseline over all windows, and the range over single windows, in %; absent for the baseline. */
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

const requestsOf = (windows: readonly Window[]): number =>
  windows.reduce((n, w) => n + w.latencies.length, 0);
/** The tiers' CPU per request net of idle, or the PostgreSQL server's. */
const cpuPerRequest = (
  windows: readonly Window[],
  idle: IdleRate,
  of: 'tiersMs' | 'pgMs' = 'tiersMs',
): number => {
  const net = windows.map(
    (w) => netPerRequest(w.cpu, w.latencies.length, idle)[of] ?? 0,
  );
  return (
    net.reduce(
      (n, perRequest, i) => n + perRequest * windows[i].latencies.length,
      0,
    ) / requestsOf(windows)
  );
};
const perSecond = (windows: readonly Window[]): number =>
  (requestsOf(windows) * 1000) /
  windows.reduce((n, w) => n + w.cpu.elapsedMs, 0);

/** The stack's tier processes; refuses a stack with a process down (its figures would be short). */
function tierPidsOf(bench: BenchStack): number[] {
  const processes = bench.processes;
  if (!processes.every((p) => p.running))
    throw new Error(
      `a tier process is down (${processes.map((p) => `${p.name} ${p.running ? p.pid : 'down'}`).join(', ')}): its figures would be short`,
    );
  return processes.map((p) => p.pid!);
}

async function runSideBySide(
  options: SideBySideOptions,
): Promise<SideBySideRow[]> {
  const {
    baseline,
    variants,
    rounds,
    windowMs,
    warmUp,
    idleMs,
    concurrency,
    sharedEnv = {},
    log = (): void => undefined,
  } = options;
  for (const [name, value] of Object.entries({
    rounds,
    windowMs,
    idleMs,
    concurrency,
    minRequests: warmUp.minRequests,
    maxWindows: warmUp.maxWindows,
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
  const meters = new Map<string, CpuMeter>();
  const watchers: PgServerCpu[] = [];

  const loadWindow = async (
    name: string,
    durationMs: number,
  ): Promise<Window> => {
    const bench = stacks.get(name)!;
    const stop = await meters.get(name)!.start();
    const results = await loadOrders({
      ordersUrl: bench.ordersUrl,
      token: bench.token,
      concurrency,
      durationMs,
    });
    const cpu = await stop();
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
      cpu,
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
      const bench = await BenchStack.start(variant.mode, env);
      stacks.set(variant.name, bench);
      const url = bench.stack.databaseUrl;
      const pg = url?.startsWith('postgres')
        ? await PgServerCpu.open(url)
        : undefined;
      if (pg) watchers.push(pg);
      meters.set(variant.name, new CpuMeter(() => tierPidsOf(bench), pg));
    }
    log(
      `warming up all ${all.length} stacks at once, windows of ${windowMs / 1000} s, until CPU per request is flat on each (at least ${warmUp.minRequests} requests, at most ${warmUp.maxWindows} windows)`,
    );
    const warmed = await warmUntilFlat(
      all.length,
      async () =>
        (await Promise.all(all.map((v) => loadWindow(v.name, windowMs)))).map(
          (w) => ({ requests: w.latencies.length, cpuMs: w.cpu.tiersMs }),
        ),
      { ...warmUp, windowRequests: 0 },
      log,
    );
    log(
      `warm-up: ${warmed.requests.join(', ')} requests; ${warmed.flat ? 'flat' : 'NOT flat (the window cap ended it)'}`,
    );
    // Let the batch exporters (5 s schedule) send the warm-up's spans before counting; and the
    // follow-ups of the last orders end before the quiet window.
    await pause(sinks.size ? 6_000 : 2_000);
    const idleStops = await Promise.all(
      all.map((v) => meters.get(v.name)!.start()),
    );
    await pause(idleMs);
    const idles = new Map(
      await Promise.all(
        all.map(
          async (v, i) => [v.name, idleRate(await idleStops[i]())] as const,
        ),
      ),
    );
    log(
      `idle CPU ms/s: ${all.map((v) => `${v.name} ${idles.get(v.name)!.tiersMsPerSec.toFixed(1)} (PG ${idles.get(v.name)!.pgMsPerSec?.toFixed(1) ?? '–'})`).join(', ')}`,
    );
    const exportedBefore = new Map(
      [...sinks].map(([name, sink]) => [name, sink.spans]),
    );

    const windows = new Map<string, Window[]>(all.map((v) => [v.name, []]));
    for (let r = 0; r < rounds; r++) {
      const results = await Promise.all(
        all.map((v) => loadWindow(v.name, windowMs)),
      );
      all.forEach((v, i) => windows.get(v.name)!.push(results[i]));
      log(
        `window ${r + 1}/${rounds}, CPU ms/request net of idle: ${all.map((v, i) => `${v.name} ${cpuPerRequest([results[i]], idles.get(v.name)!).toFixed(2)}`).join(', ')}; load ${loadavg()[0].toFixed(2)}`,
      );
    }
    // Give the batch exporters their schedule to send what the last windows recorded.
    if (sinks.size) await pause(6_000);

    const base = windows.get(baseline.name)!;
    const baseIdle = idles.get(baseline.name)!;
    return all.map((variant) => {
      const mine = windows.get(variant.name)!;
      const idle = idles.get(variant.name)!;
      const hasPg = mine.every((w) => w.cpu.pgMs !== undefined);
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
            change(
              cpuPerRequest([base[i]], baseIdle),
              cpuPerRequest([w], idle),
            ),
          );
      return {
        name: variant.name,
        requests: sorted.length,
        failed: sorted.length - (statuses.get(201) ?? 0),
        statuses: [...statuses].map(([s, n]) => `${n}× ${s}`).join(', '),
        cpuMsPerRequest: round(cpuPerRequest(mine, idle), 2),
        ...(hasPg
          ? { pgCpuMsPerRequest: round(cpuPerRequest(mine, idle, 'pgMs'), 2) }
          : {}),
        idleCpuMsPerSec: round(idle.tiersMsPerSec, 1),
        ...(idle.pgMsPerSec === undefined
          ? {}
          : { pgIdleCpuMsPerSec: round(idle.pgMsPerSec, 1) }),
        ...(isBaseline
          ? {}
          : {
              cpuVsBaseline: {
                all: change(
                  cpuPerRequest(base, baseIdle),
                  cpuPerRequest(mine, idle),
                ),
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
    await Promise.allSettled(watchers.map((pg) => pg.close()));
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
    `| variant | requests | not 201 | CPU ms/request, all tiers, net of idle | CPU vs ${baselineName} (range over windows) | PG server CPU ms/request, net of idle | idle CPU ms/s, tiers / PG | req/s | req/s vs ${baselineName} | p50 ms | p99 ms |${spans ? ' spans exported/request |' : ''}`,
    `|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|${spans ? '---:|' : ''}`,
    ...rows.map((r) => {
      const cpuVs = r.cpuVsBaseline
        ? `${r.cpuVsBaseline.all} % (${r.cpuVsBaseline.min} … ${r.cpuVsBaseline.max})`
        : '–';
      const rpsVs =
        r.rpsVsBaseline === undefined ? '–' : `${r.rpsVsBaseline} %`;
      return `| ${r.name} | ${r.requests} | ${r.failed} | ${r.cpuMsPerRequest.toFixed(2)} | ${cpuVs} | ${r.pgCpuMsPerRequest?.toFixed(2) ?? '–'} | ${r.idleCpuMsPerSec} / ${r.pgIdleCpuMsPerSec ?? '–'} | ${r.requestsPerSec} | ${rpsVs} | ${r.p50Ms} | ${r.p99Ms} |${spans ? ` ${r.spansExported?.toFixed(2) ?? '–'} |` : ''}`;
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
 * `BENCH_ROUNDS` windows of `BENCH_WINDOW_MS` after a warm-up in windows as long until CPU per request is
 * flat on every stack (`BENCH_WARMUP_MIN_REQUESTS`, `BENCH_WARMUP_MAX_WINDOWS`) and a quiet window of
 * `BENCH_IDLE_MS` that measures idle CPU; prints the table.
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
    warmUp: {
      minRequests: Number(process.env.BENCH_WARMUP_MIN_REQUESTS ?? 4_000),
      maxWindows: Number(process.env.BENCH_WARMUP_MAX_WINDOWS ?? 18),
    },
    idleMs: Number(process.env.BENCH_IDLE_MS ?? 10_000),
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
