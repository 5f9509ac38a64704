// `npm run bench:logger`: what one `request ended` line costs, the tiers' TierLogger (one
// JSON.stringify and one write) against the same contract on pino (PinoLogger, this folder) on each
// destination pino offers, side by side in one run. Each
// line goes the way a tier's does: Nest's `Logger('Deadline')` → the LoggerService → file descriptor
// 1, a new line object per request. Every case runs in a child process of its own (a destination
// changes how fd 1 behaves for the whole process), warmed up, then one timed round until every line
// has reached the fd; cases take turns, round by round. First with stdout a pipe that this process
// drains (as a container runtime or `npm run stack` does; it also counts the lines that arrived), then
// with stdout on /dev/null (formatting and the write call alone). The table shows the median ns per
// line and the ratio against TierLogger. The pipe table also depends on how fast this
// process reads (a writer that outruns its reader queues lines in memory with process.stdout, or
// waits with pino's synchronous destination) and moves most from run to run: run it on a quiet
// machine. BENCH_N, BENCH_WARMUP and BENCH_ROUNDS change the sizes.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Logger, type LoggerService } from '@nestjs/common';
import { pino } from 'pino';
import { TierLogger } from '@lib/platform';
import { PinoLogger } from './pino.logger.js';

const N = Number(process.env.BENCH_N ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20_000);

interface Case {
  readonly logger: LoggerService;
  /** Resolves once every line written so far has reached the file descriptor. */
  readonly flushed: () => Promise<void>;
}

const stdoutFlushed = (): Promise<void> =>
  new Promise((resolve) => process.stdout.write('', () => resolve()));

const CASES: Readonly<Record<string, { name: string; make: () => Case }>> = {
  tier: {
    name: 'TierLogger (the tiers) → process.stdout',
    make: () => ({
      logger: new TierLogger({ service: 'order' }),
      flushed: stdoutFlushed,
    }),
  },
  pino: {
    name: 'PinoLogger → process.stdout',
    make: () => ({
      logger: new PinoLogger({ service: 'order' }),
      flushed: stdoutFlushed,
    }),
  },
  sync: {
    name: 'PinoLogger → pino.destination, sync (fd 1 blocking)',
    make: () => ({
      logger: new PinoLogger({
        service: 'order',
        stdout: pino.destination({ dest: 1, sync: true }),
      }),
      flushed: () => Promise.resolve(),
    }),
  },
  syncNonBlocking: {
    name: '  the same once process.stdout was touched (fd 1 non-blocking)',
    make: () => {
      void process.stdout.fd; // what any console.log in the process does
      return CASES.sync.make();
    },
  },
  async: {
    name: "PinoLogger → pino.destination, async (pino's default)",
    make: () => {
      const destination = pino.destination({ dest: 1, sync: false });
      return {
        logger: new PinoLogger({ service: 'order', stdout: destination }),
        // Its callback comes after the writes, with fsync's EINVAL on a pipe or /dev/null.
        flushed: () =>
          new Promise((resolve) => destination.flush(() => resolve())),
      };
    },
  },
};

/** One round of `count` request-end lines through Nest's Logger; ns per line. */
async function round(c: Case, count: number): Promise<number> {
  Logger.overrideLogger(c.logger);
  const deadline = new Logger('Deadline');
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    // What libs/telemetry's request-end hook logs for one gRPC request.
    deadline.log({
      msg: 'request ended',
      service: 'order',
      method: 'PlaceOrder',
      hop: 1,
      receivedBudgetMs: 4990,
      forwardedBudgetMs: 4980 - (i % 7),
      spentMs: (i % 250) / 10,
      outcome: 'ok',
      remainingMs: 4977.7 - (i % 250) / 10,
      aborted: false,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
    });
  }
  await c.flushed();
  return Number(process.hrtime.bigint() - started) / count;
}

/** In the child: warm up, time one round, send the ns per line. */
async function worker(key: string): Promise<void> {
  const c = CASES[key].make();
  await round(c, WARMUP);
  const nsPerLine = await round(c, N);
  process.send!(nsPerLine, () => process.exit(0));
}

/** One case in a child whose stdout is `sink`: ns per line, and how many lines a pipe received. */
async function runCase(
  key: string,
  sink: 'pipe' | 'devnull',
): Promise<{ nsPerLine: number; lines: number }> {
  const devNull = sink === 'devnull' ? openSync('/dev/null', 'w') : undefined;
  const child = spawn(process.execPath, [__filename, '--worker', key], {
    stdio: ['ignore', devNull ?? 'pipe', 'inherit', 'ipc'],
  });
  if (devNull !== undefined) closeSync(devNull);
  let lines = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1))
      lines++;
  });
  const nsPerLine = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number));
    child.once('exit', (code) =>
      reject(new Error(`benchmark worker ${key} exited with ${code}`)),
    );
  });
  await new Promise((resolve) => child.once('close', resolve));
  return { nsPerLine, lines };
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  process.stdout.write(
    `request-end line through Nest's Logger: ${N.toLocaleString('en')} timed lines after ${WARMUP.toLocaleString('en')} warm-up lines, one process per case and round, median of ${ROUNDS} rounds, Node ${process.version}\n`,
  );
  const keys = Object.keys(CASES);
  for (const sink of ['pipe', 'devnull'] as const) {
    const samples = new Map(keys.map((k) => [k, [] as number[]]));
    let lost = 0;
    for (let r = 0; r < ROUNDS; r++)
      for (const key of keys) {
        const { nsPerLine, lines } = await runCase(key, sink);
        samples.get(key)!.push(nsPerLine);
        if (sink === 'pipe') lost += WARMUP + N - lines;
      }
    process.stdout.write(
      `\nstdout: ${sink === 'pipe' ? `a pipe, read by this process (lines lost: ${lost})` : '/dev/null'}\n`,
    );
    const base = median(samples.get(keys[0])!);
    const table = [
      ['case', 'ns / line', 'lines / s', 'vs TierLogger'],
      ...keys.map((key) => {
        const ns = median(samples.get(key)!);
        return [
          CASES[key].name,
          ns.toFixed(0),
          Math.round(1e9 / ns).toLocaleString('en'),
          `${(ns / base).toFixed(2)}×`,
        ];
      }),
    ];
    const widths = table[0].map((_, i) =>
      Math.max(...table.map((row) => row[i].length)),
    );
    for (const row of table)
      process.stdout.write(
        `${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}\n`,
      );
  }
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt !== -1) void worker(process.argv[workerAt + 1]);
else
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
