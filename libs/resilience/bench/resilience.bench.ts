// `npm run build && node dist/libs/resilience/bench/resilience.bench.js`: what the guard adds to
// one outgoing call, beside bare cockatiel. Each case awaits N calls of an already-resolved
// downstream, CONCURRENCY at a time. Every call, in every case, gets its own caller signal with one
// listener on it already, as a request's deadline signal has; so the baseline pays for that and the
// other rows show only what the guard adds. Reports the median µs per call over ROUNDS.
import {
  bulkhead,
  circuitBreaker,
  handleAll,
  SamplingBreaker,
  wrap,
} from 'cockatiel';
import {
  AttemptTimeoutError,
  DeadlineBreaker,
  ResilientDownstream,
} from '@lib/resilience';

const N = Number(process.env.BENCH_N ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);

type Call = (signal: AbortSignal) => Promise<unknown>;
const answer = (): Promise<string> => Promise.resolve('ok');
const noop = (): void => undefined;

/** A request's deadline signal, as the guard receives it: already listened to. */
function requestSignal(): AbortSignal {
  const signal = new AbortController().signal;
  signal.addEventListener('abort', noop, { once: true });
  return signal;
}

const CASES: readonly { readonly name: string; readonly make: () => Call }[] = [
  {
    name: 'no guard (baseline)',
    make: () => (signal) =>
      signal.aborted ? Promise.reject(signal.reason) : answer(),
  },
  {
    name: 'DeadlineBreaker.execute (closed)',
    make: () => {
      const breaker = new DeadlineBreaker({ name: 'bench' });
      return (signal) => breaker.execute(answer, { signal, budgetMs: 1_000 });
    },
  },
  {
    name: 'ResilientDownstream.execute (breaker + bulkhead + admission)',
    make: () => {
      const guard = new ResilientDownstream('bench');
      return (signal) =>
        guard.execute({ method: 'Reserve', budgetMs: 1_000, signal }, answer);
    },
  },
  {
    // Fail fast: what a caller waits for an answer from an open breaker.
    name: 'DeadlineBreaker.execute, open (refusal)',
    make: () => {
      const breaker = new DeadlineBreaker({
        name: 'bench',
        minimumCalls: 1,
        openMs: 3_600_000,
      });
      void breaker
        .execute(() => Promise.reject(new AttemptTimeoutError('bench', 1)))
        .catch(() => undefined);
      return (signal) =>
        breaker
          .execute(answer, { signal, budgetMs: 1_000 })
          .catch(() => undefined);
    },
  },
  {
    name: 'cockatiel wrap(bulkhead, circuitBreaker(SamplingBreaker))',
    make: () => {
      const policy = wrap(
        bulkhead(100, 100),
        circuitBreaker(handleAll, {
          halfOpenAfter: 5_000,
          breaker: new SamplingBreaker({ threshold: 0.5, duration: 60_000 }),
        }),
      );
      return (signal) => policy.execute(answer, signal);
    },
  },
];

async function measure(make: () => Call): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const call = make();
    const started = process.hrtime.bigint();
    for (let done = 0; done < N; done += CONCURRENCY) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < CONCURRENCY; i++) batch.push(call(requestSignal()));
      await Promise.all(batch);
    }
    samples.push(Number(process.hrtime.bigint() - started) / N / 1_000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function main(): Promise<void> {
  process.stdout.write(
    `resilience guard: ${N.toLocaleString('en')} calls, ${CONCURRENCY} at a time, median of ${ROUNDS} rounds, Node ${process.version}\n\n`,
  );
  const rows: { name: string; us: number }[] = [];
  for (const c of CASES) rows.push({ name: c.name, us: await measure(c.make) });
  const base = rows[0].us;
  const table = [
    ['case', 'µs / call', 'added µs'],
    ...rows.map((r) => [r.name, r.us.toFixed(3), (r.us - base).toFixed(3)]),
  ];
  const widths = table[0].map((_, i) =>
    Math.max(...table.map((row) => row[i].length)),
  );
  for (const row of table)
    process.stdout.write(
      `${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}\n`,
    );
}

void main();
