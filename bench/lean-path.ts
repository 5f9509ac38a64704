// `npm run bench:lean`: what each switch of the lean request path saves, in CPU per order of the five
// tiers and of the PostgreSQL server, and in throughput: the tiers' defaults and each switch alone,
// against all of them off and a second all-off stack (the control, its row the noise floor). Payment's
// charge without a look-up first has no switch; it is in every row.
//
// One plain stack per variant (five processes, full mode, each on its own database), all started up
// front, then loaded one at a time in turns, as §1b of `npm run bench` does: on 2 shared cores, stacks
// loaded at once measure their contention (CPU per order triples), not themselves. Each is warmed in
// turns until its CPU per order is flat, left quiet to measure idle CPU (taken off), then timed in
// BENCH_ROUNDS rounds of one BENCH_WINDOW_MS window per stack, the order rotating every round.
// BENCH_CONNECTIONS (8), BENCH_ROUNDS (6), BENCH_WINDOW_MS (8000), BENCH_IDLE_MS (5000).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { COMMON_ENV } from '@lib/platform';
import { Stack, type TierProcess } from '../tools/stack/index.js';
import {
  distDir,
  stopBenchStacksOnSignal,
  stopOnInterrupt,
} from './support/bench-stack.js';
import {
  CpuMeter,
  type CpuReading,
  type IdleRate,
  idleRate,
  netPerRequest,
} from './support/cpu-meter.js';
import { runLoad } from './support/http-load.js';
import { PgServerCpu } from './support/pg-server-cpu.js';
import { pidsOf } from './support/process-cpu.js';
import { change, round } from './support/stats.js';
import { warmUntilFlat } from './support/warm-up.js';

/** Every switch off: each token verified, each follow-up write and each log line on its own. */
const ALL_OFF = {
  AUTH_TOKEN_CACHE_SIZE: '0',
  ORDER_SETTLE_BATCH_MS: '0',
  INVENTORY_COMMIT_BATCH_MS: '0',
  LOG_FLUSH_MS: '0',
};
// A stack with free ports writes each log line at once unless told otherwise (tools/stack).
const LOG_FLUSH_DEFAULT = String(COMMON_ENV.LOG_FLUSH_MS.default);

const VARIANTS: readonly {
  readonly name: string;
  readonly env: Record<string, string>;
}[] = [
  { name: 'all four off (baseline)', env: ALL_OFF },
  { name: 'all four off, a second stack (control)', env: ALL_OFF },
  {
    name: 'the defaults (all four on)',
    env: { LOG_FLUSH_MS: LOG_FLUSH_DEFAULT },
  },
  {
    name: 'verified tokens remembered alone (AUTH_TOKEN_CACHE_SIZE)',
    env: { ...ALL_OFF, AUTH_TOKEN_CACHE_SIZE: '10000' },
  },
  {
    name: 'follow-up writes batched alone (ORDER_SETTLE_BATCH_MS, INVENTORY_COMMIT_BATCH_MS)',
    env: {
      ...ALL_OFF,
      ORDER_SETTLE_BATCH_MS: '20',
      INVENTORY_COMMIT_BATCH_MS: '20',
    },
  },
  {
    name: 'log lines batched alone (LOG_FLUSH_MS)',
    env: { ...ALL_OFF, LOG_FLUSH_MS: LOG_FLUSH_DEFAULT },
  },
];

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 8_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5_000);

interface Running {
  readonly name: string;
  readonly stack: Stack;
  readonly tiers: readonly TierProcess[];
  readonly meter: CpuMeter;
  readonly token: string;
  readonly windows: { requests: number; failed: number; cpu: CpuReading }[];
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  stopBenchStacksOnSignal();
  const dist = distDir();
  const running: Running[] = [];
  const watchers: PgServerCpu[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(watchers.map((w) => w.close()));
    await Promise.allSettled(running.map((r) => r.stack.stop()));
  };
  const forget = stopOnInterrupt(stopAll);
  try {
    log(
      `lean path: ${VARIANTS.length} stacks, loaded one at a time, ${CONNECTIONS} in flight, load ${loadavg()[0].toFixed(2)}`,
    );
    for (const variant of VARIANTS) {
      const env = {
        RESILIENCE_MODE: 'full',
        INVENTORY_SEED_STOCK: '1000000000',
        // Six stacks' data tiers on one server (max_connections 100); one order at a time per connection.
        DATABASE_POOL_SIZE: String(Math.min(10, CONNECTIONS)),
        ...variant.env,
      };
      const stack = await Stack.start({
        ports: 'free',
        distDir: dist,
        env,
        strictDeadlines: false,
      });
      const pg = await PgServerCpu.open(stack.databaseUrl!);
      watchers.push(pg);
      const tiers = (
        ['gateway', 'auth', 'order', 'inventory', 'payment'] as const
      ).map((t) => stack.tier(t));
      const token = execFileSync(
        process.execPath,
        [join(dist, 'apps/auth/src/issue-token.js'), 'bench', '86400'],
        { encoding: 'utf8', env: { ...process.env, ...env } },
      ).trim();
      running.push({
        name: variant.name,
        stack,
        tiers,
        meter: new CpuMeter(() => pidsOf(tiers), pg),
        token,
        windows: [],
      });
    }

    const loadWindow = async (
      r: Running,
    ): Promise<{ requests: number; failed: number; cpu: CpuReading }> => {
      const stop = await r.meter.start();
      const results = await runLoad({
        url: `${r.stack.gatewayUrl}/orders`,
        headers: {
          authorization: `Bearer ${r.token}`,
          'x-request-timeout': '5000',
        },
        body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
        concurrency: CONNECTIONS,
        durationMs: WINDOW_MS,
        clientTimeoutMs: 10_000,
        traceContext: false,
      });
      const cpu = await stop();
      for (const tier of r.tiers) tier.events.length = 0;
      // The follow-ups of the last orders end before the next stack is timed.
      await pause(500);
      return {
        requests: results.length,
        failed: results.filter((x) => x.status !== 201).length,
        cpu,
      };
    };

    const warmed = await warmUntilFlat(
      running.length,
      async () => {
        const windows = [];
        for (const r of running) windows.push(await loadWindow(r));
        return windows.map((w) => ({
          requests: w.requests,
          cpuMs: w.cpu.tiersMs,
        }));
      },
      { windowRequests: 0, minRequests: 6_000, maxWindows: 8 },
      (line) => log(`lean path: ${line}`),
    );
    const idleStops = await Promise.all(running.map((r) => r.meter.start()));
    await pause(IDLE_MS);
    const idles: IdleRate[] = await Promise.all(
      idleStops.map(async (stop) => idleRate(await stop())),
    );

    for (let round_ = 0; round_ < ROUNDS; round_++) {
      for (let k = 0; k < running.length; k++) {
        const r = running[(k + round_) % running.length];
        r.windows.push(await loadWindow(r));
      }
      log(
        `lean path: round ${round_ + 1}/${ROUNDS} done, load ${loadavg()[0].toFixed(2)}`,
      );
    }

    const figures = running.map((r, i) => {
      const requests = r.windows.reduce((n, w) => n + w.requests, 0);
      const net = (of: 'tiersMs' | 'pgMs'): number =>
        r.windows.reduce(
          (n, w) =>
            n +
            (netPerRequest(w.cpu, w.requests, idles[i])[of] ?? 0) * w.requests,
          0,
        ) / requests;
      const ms = r.windows.reduce((n, w) => n + w.cpu.elapsedMs, 0);
      return {
        name: r.name,
        requests,
        failed: r.windows.reduce((n, w) => n + w.failed, 0),
        rps: (requests * 1000) / ms,
        tiers: net('tiersMs'),
        pg: net('pgMs'),
      };
    });
    const base = figures[0];
    const lines = [
      `Warmed in turns: ${warmed.requests.join(' / ')} orders${warmed.flat ? '' : ' (not flat: the window cap ended it)'}; ${ROUNDS} rounds of one ${WINDOW_MS / 1000} s window per stack, ${CONNECTIONS} in flight; CPU net of idle (tiers ${idles.map((x) => round(x.tiersMsPerSec, 0)).join(' / ')} ms/s).`,
      '',
      '| variant | orders | not 201 | req/s | tier CPU ms/order | vs baseline | PG server CPU ms/order | vs baseline |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...figures.map(
        (f, i) =>
          `| ${f.name} | ${f.requests} | ${f.failed} | ${round(f.rps, 1)} | ${round(f.tiers, 2)} | ${i === 0 ? '' : `${change(base.tiers, f.tiers)} %`} | ${round(f.pg, 2)} | ${i === 0 ? '' : `${change(base.pg, f.pg)} %`} |`,
      ),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const failed = figures.reduce((n, f) => n + f.failed, 0);
    const total = figures.reduce((n, f) => n + f.requests, 0);
    if (failed > total / 100)
      throw new Error(
        `${failed} of ${total} orders failed: the figures are not of working stacks`,
      );
  } finally {
    await stopAll();
    forget();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
