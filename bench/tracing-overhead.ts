// `npm run bench:tracing`: the overhead scenario (POST /orders through the five tiers, autocannon) with
// OpenTelemetry tracing on and off (`OTEL_SDK_DISABLED=true`), same build, same machine, in interleaved
// rounds so a change in background load hits both alike. Prints the table for docs/benchmarks.md.
import { loadavg } from 'node:os';
import { type OverheadResult, runOverheadAgainst } from './scenarios/overhead.scenario';
import { BenchStack } from './support/bench-stack';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OPTIONS = { connections: 8, warmupRequests: 100, requests: Number(process.env.BENCH_REQUESTS ?? 800) };
const VARIANTS: readonly (readonly [string, Record<string, string>])[] = [
  ['tracing on (default)', {}],
  ['tracing off (OTEL_SDK_DISABLED=true)', { OTEL_SDK_DISABLED: 'true' }],
];

async function measure(env: Record<string, string>): Promise<OverheadResult> {
  const bench = await BenchStack.start('full', env);
  try {
    return await runOverheadAgainst('full', bench.ordersUrl, bench.token, OPTIONS, () => bench.forgetEvents());
  } finally {
    await bench.stop();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  process.stderr.write(`tracing on vs off: ${ROUNDS} interleaved rounds × ${OPTIONS.requests} requests at ${OPTIONS.connections} connections, load ${loadavg()[0].toFixed(2)}\n`);
  const results = new Map<string, OverheadResult[]>(VARIANTS.map(([name]) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, env] of round % 2 ? VARIANTS : [...VARIANTS].reverse()) {
      process.stderr.write(`round ${round}/${ROUNDS}: ${name}…\n`);
      results.get(name)!.push(await measure(env));
    }
  }
  const rows = VARIANTS.map(([name]) => {
    const runs = results.get(name)!;
    return { name, rps: median(runs.map((r) => r.requestsPerSec)), p50: median(runs.map((r) => r.p50Ms)), p99: median(runs.map((r) => r.p99Ms)), spread: runs.map((r) => r.requestsPerSec.toFixed(1)).join(' / '), non2xx: runs.reduce((n, r) => n + r.non2xx, 0) };
  });
  const off = rows[1];
  process.stdout.write(`| variant (full mode) | median req/s | median p50 ms | median p99 ms | req/s per round | non-2xx | req/s vs off | p99 vs off |\n|---|---:|---:|---:|---|---:|---:|---:|\n`);
  for (const r of rows) {
    const rpsDelta = ((r.rps / off.rps - 1) * 100).toFixed(1);
    const p99Delta = ((r.p99 / off.p99 - 1) * 100).toFixed(1);
    process.stdout.write(`| ${r.name} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.spread} | ${r.non2xx} | ${rpsDelta} % | ${p99Delta} % |\n`);
  }
  process.stderr.write(`load at end ${loadavg()[0].toFixed(2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
