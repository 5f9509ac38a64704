// `npm run trace`: the ContextTracer in the terminal. Reads the gateway's recent requests
// (`GET /_tracer/requests`) and prints each one's hops as the narrative's table: level, initial
// deadline, remaining deadline, decay rate.
//
//   npm run trace                       last 5 requests from http://127.0.0.1:3000
//   npm run trace -- --last 1 --outcome deadline_exceeded --url http://gateway:3000
import { parseArgs } from 'node:util';
import { formatHopTable, type HopRecord } from '@lib/deadline';

interface Summary {
  readonly id: number;
  readonly endedAt: number;
  readonly method: string;
  readonly outcome: string;
  readonly budgetMs: number | null;
  readonly spentMs: number;
  readonly reason?: string;
  readonly traceId?: string;
}

const USAGE =
  'usage: npm run trace -- [--url <gateway url>] [--last <n>] [--outcome ok|deadline_exceeded|cancelled|breaker_open|error]';

async function main(): Promise<number> {
  let values: { url?: string; last?: string; outcome?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        last: { type: 'string' },
        outcome: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(
      `${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`,
    );
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = (
    values.url ??
    process.env.GATEWAY_URL ??
    'http://127.0.0.1:3000'
  ).replace(/\/+$/, '');
  const last = Number(values.last ?? 5);
  if (!Number.isInteger(last) || last < 1) {
    process.stderr.write(
      `--last must be a whole number ≥ 1, got "${values.last}"\n${USAGE}\n`,
    );
    return 2;
  }

  const query = values.outcome
    ? `?outcome=${encodeURIComponent(values.outcome)}`
    : '';
  const listed = await getJson<{ requests: Summary[] }>(
    `${url}/_tracer/requests${query}`,
  );
  const requests = listed.requests.slice(0, last).reverse();
  if (!requests.length) {
    process.stdout.write(
      `no recent requests${values.outcome ? ` with outcome ${values.outcome}` : ''} at ${url}\n`,
    );
    return 0;
  }
  for (const summary of requests) {
    const { hops } = await getJson<{ hops: HopRecord[] }>(
      `${url}/_tracer/requests/${summary.id}`,
    );
    const when = new Date(summary.endedAt).toISOString().slice(11, 23);
    process.stdout.write(
      `\n#${summary.id} ${when} ${summary.method} → ${summary.outcome}, budget ${summary.budgetMs ?? '–'} ms, took ${summary.spentMs.toFixed(1)} ms`,
    );
    process.stdout.write(
      `${summary.traceId ? `, trace ${summary.traceId}` : ''}\n`,
    );
    if (summary.reason) process.stdout.write(`  ${summary.reason}\n`);
    process.stdout.write(`${formatHopTable(hops).replace(/^/gm, '  ')}\n`);
  }
  return 0;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${body}`);
  return JSON.parse(body) as T;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? ` (${error.cause.message})`
        : '';
    process.stderr.write(
      `trace: ${error instanceof Error ? error.message : String(error)}${cause}\nIs the stack running? Start it with npm run stack.\n`,
    );
    process.exit(1);
  },
);
