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
// BENCH_CONNECTIONS (8), BENCH_ROUNDS (6), BENCH_WINDOW_MS (8000), BENCH_IDLE_MS (5000),
// BENCH_WARMUP_MIN_REQUESTS (6000). The method's pieces: bench/support/in-turns.ts.
import { loadavg } from 'node:os';
import { COMMON_ENV } from '@lib/platform';
import { Stack } from '../tools/stack/index.js';
import {
  benchToken,
  distDir,
  stopBenchStacksOnSignal,
  stopOnInterrupt,
} from './support/bench-stack.js';
import { CpuMeter } from './support/cpu-meter.js';
import {
  idleRates,
  loadWindow,
  summariseTurns,
  type TurnChain,
  type TurnWindow,
  warmInTurns,
} from './support/in-turns.js';
import { PgServerCpu } from './support/pg-server-cpu.js';
import { pidsOf } from './support/process-cpu.js';
import { change } from './support/stats.js';

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
const WARMUP_MIN_REQUESTS = Number(
  process.env.BENCH_WARMUP_MIN_REQUESTS ?? 6_000,
);

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  stopBenchStacksOnSignal();
  const dist = distDir();
  const stacks: Stack[] = [];
  const watchers: PgServerCpu[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(watchers.map((w) => w.close()));
    await Promise.allSettled(stacks.map((stack) => stack.stop()));
  };
  const forget = stopOnInterrupt(stopAll);
  try {
    log(
      `lean path: ${VARIANTS.length} stacks, loaded one at a time, ${CONNECTIONS} in flight, load ${loadavg()[0].toFixed(2)}`,
    );
    const chains: TurnChain[] = [];
    for (const variant of VARIANTS) {
      const env = {
        RESILIENCE_MODE: 'full',
        INVENTORY_SEED_STOCK: '1000000000',
        // Six stacks' 18 data-tier pools on one server (max_connections 100): 4 each is room enough,
        // since an order holds a connection only for its statements, a few ms of its ~20.
        DATABASE_POOL_SIZE: '4',
        ...variant.env,
      };
      const stack = await Stack.start({
        ports: 'free',
        distDir: dist,
        env,
        strictDeadlines: false,
      });
      stacks.push(stack);
      const pg = await PgServerCpu.open(stack.databaseUrl!);
      watchers.push(pg);
      const tiers = (
        ['gateway', 'auth', 'order', 'inventory', 'payment'] as const
      ).map((t) => stack.tier(t));
      chains.push({
        name: variant.name,
        ordersUrl: `${stack.gatewayUrl}/orders`,
        token: benchToken(dist, env),
        meter: new CpuMeter(() => pidsOf(tiers), pg),
        forget: () => {
          for (const tier of tiers) tier.events.length = 0;
        },
      });
    }

    const warmed = await warmInTurns(
      chains,
      CONNECTIONS,
      WINDOW_MS,
      { minRequests: WARMUP_MIN_REQUESTS, maxWindows: 8 },
      (line) => log(`lean path: ${line}`),
    );
    const idles = await idleRates(chains, IDLE_MS);
    const windows: TurnWindow[][] = chains.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      // The order rotates, so no stack always follows the same one.
      for (let k = 0; k < chains.length; k++) {
        const i = (k + round) % chains.length;
        windows[i].push(await loadWindow(chains[i], CONNECTIONS, WINDOW_MS));
      }
      log(
        `lean path: round ${round + 1}/${ROUNDS} done, load ${loadavg()[0].toFixed(2)}`,
      );
    }

    const rows = windows.map((w, i) => summariseTurns(w, idles[i]));
    const [base] = rows;
    const versus = (i: number, value: number, baseline: number): string =>
      i === 0 ? '' : `${change(baseline, value)} %`;
    process.stdout.write(
      [
        `Warmed in turns: ${warmed.requests.join(' / ')} orders${warmed.flat ? '' : ' (not flat: the window cap ended it)'}; ${ROUNDS} rounds of one ${WINDOW_MS / 1000} s window per stack, ${CONNECTIONS} in flight; CPU net of idle (tiers ${idles.map((x) => Math.round(x.tiersMsPerSec)).join(' / ')} ms/s).`,
        '',
        '| variant | orders | not 201 | req/s | tier CPU ms/order | vs baseline | PG server CPU ms/order | vs baseline |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows.map(
          (row, i) =>
            `| ${VARIANTS[i].name} | ${row.requests} | ${row.failed} | ${row.requestsPerSec} | ${row.tierCpuMsPerOrder} | ${versus(i, row.tierCpuMsPerOrder, base.tierCpuMsPerOrder)} | ${row.pgCpuMsPerOrder} | ${versus(i, row.pgCpuMsPerOrder, base.pgCpuMsPerOrder)} |`,
        ),
        '',
      ].join('\n'),
    );
    const failed = rows.reduce((n, row) => n + row.failed, 0);
    const total = rows.reduce((n, row) => n + row.requests, 0);
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
