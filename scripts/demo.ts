// `npm run demo`: starts the five tiers (payment deliberately slowed, one tier as three replicas),
// sends a few orders with different budgets, prints each request's per-hop deadline table, slows one
// replica and shows orders going around it, and leaves the stack running.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createThrowawayDatabase } from '@lib/database';
import { formatHopTable, type HopRecord } from '@lib/deadline';
import { type ReplicableTier, repoRoot } from '../tools/stack/index.js';
import { ACT_REPLICAS, replicaAct } from './demo-replicas.js';
import { echoTierLogs, runStack } from './stack.js';

const PAYMENT_LATENCY_MS = 400;

interface Attempt {
  readonly title: string;
  readonly budget?: string;
  readonly body: unknown;
}

const ATTEMPTS: readonly Attempt[] = [
  {
    title:
      'A generous budget: every hop gets a little less than its caller, the order goes through',
    budget: '2000',
    body: { sku: 'espresso', quantity: 2 },
  },
  {
    title: `A 300 ms budget against a payment tier that takes ${PAYMENT_LATENCY_MS} ms: 504, payment's work cancelled, stock released`,
    budget: '300',
    body: { sku: 'latte', quantity: 1 },
  },
  {
    title: 'A client asking for more than the maximum: clamped to 30 s',
    budget: '999999',
    body: { sku: 'espresso', quantity: 1 },
  },
  {
    title: 'A malformed budget: 400 naming the header, no tier called',
    budget: '5000ms',
    body: { sku: 'espresso', quantity: 1 },
  },
];

/** The PostgreSQL server the demo looks for when DATABASE_URL is unset (trust auth, as on a developer machine). */
const LOCAL_POSTGRES =
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Where the demo keeps its data, and so which tier the replica act runs three of. Inventory's
 * replicas need one database they can all reach: DATABASE_URL when it names PostgreSQL; else a
 * throwaway database on a PostgreSQL server found on this machine (created now, dropped on Ctrl-C);
 * else the embedded engine, which lives inside one process, and the act replicates auth instead,
 * which keeps no data.
 */
async function demoDatabase(): Promise<{
  readonly database: string | undefined;
  readonly replicated: ReplicableTier;
  readonly note: string;
}> {
  const url = process.env.DATABASE_URL ?? '';
  if (/^postgres(ql)?:\/\//.test(url))
    return {
      database: undefined,
      replicated: 'inventory',
      note: 'DATABASE_URL',
    };
  if (url !== '' || process.env.STACK_PORTS === 'free')
    return {
      database: undefined,
      replicated: url === '' ? 'inventory' : 'auth',
      note: url || 'a throwaway PostgreSQL database',
    };
  try {
    const probe = await createThrowawayDatabase(LOCAL_POSTGRES, 'dr_demo');
    await probe.drop();
    return {
      database: 'throwaway',
      replicated: 'inventory',
      note: `a throwaway database on the PostgreSQL server at ${new URL(LOCAL_POSTGRES).host}, dropped on Ctrl-C`,
    };
  } catch {
    return {
      database: undefined,
      replicated: 'auth',
      note: `the embedded engine (no PostgreSQL server answered at ${new URL(LOCAL_POSTGRES).host}; inventory's replicas would need one shared database, so the replica act slows an auth replica; set DATABASE_URL=postgres://… to slow inventory)`,
    };
  }
}

async function main(): Promise<void> {
  const { database, replicated, note } = await demoDatabase();
  process.stdout.write(
    `starting five tiers, ${replicated} as ${ACT_REPLICAS} replicas (payment slowed to ${PAYMENT_LATENCY_MS} ms); data in ${note}…\n`,
  );
  echoTierLogs(false);
  const stack = await runStack(
    {
      payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      // The replica act slows one of them through its chaos endpoint.
      [replicated]: { CHAOS_ENABLED: 'true' },
    },
    { [replicated]: ACT_REPLICAS },
    database,
  );
  const token = execFileSync(
    process.execPath,
    [join(repoRoot(), 'dist/apps/auth/src/issue-token.js'), 'demo-user'],
    { encoding: 'utf8' },
  ).trim();

  for (const attempt of ATTEMPTS) {
    const started = performance.now();
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(attempt.budget ? { 'x-request-timeout': attempt.budget } : {}),
      },
      body: JSON.stringify(attempt.body),
    });
    const took = performance.now() - started;
    const body = (await response.json()) as {
      deadline?: { hops: HopRecord[] };
      hops?: HopRecord[];
      error?: string;
      message?: string;
    };
    const hops = body.deadline?.hops ?? body.hops ?? [];
    process.stdout.write(`\n\u001b[1m▶ ${attempt.title}\u001b[0m\n`);
    process.stdout.write(
      `  X-Request-Timeout: ${attempt.budget ?? '(none)'} → HTTP ${response.status} in ${took.toFixed(0)} ms${body.error ? ` (${body.error}: ${body.message})` : ''}\n`,
    );
    if (hops.length)
      process.stdout.write(`${formatHopTable(hops).replace(/^/gm, '  ')}\n`);
  }

  await replicaAct(stack, token, replicated, (text) =>
    process.stdout.write(text),
  );

  process.stdout.write(
    [
      '',
      `The stack keeps running (gateway ${stack.gatewayUrl}); its logs follow. Try:`,
      '',
      `  curl -s -X POST ${stack.gatewayUrl}/orders -H 'authorization: Bearer ${token}' \\`,
      `       -H 'content-type: application/json' -H 'x-request-timeout: 1500' -d '{"sku":"espresso","quantity":1}'`,
      '',
      'Ctrl-C stops all five tiers.',
      '',
    ].join('\n'),
  );
  echoTierLogs(true);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${String(error)}\n`);
  process.exit(1);
});
