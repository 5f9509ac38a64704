// `npm run demo`: starts the five tiers (payment deliberately slowed, one tier as three replicas),
// sends a few orders with different budgets, prints each request's per-hop deadline table, slows one
// replica and shows orders going around it, and leaves the stack running.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

/**
 * The tier the replica act runs three of: inventory when its replicas can share a PostgreSQL database
 * (DATABASE_URL, or the throwaway one of STACK_PORTS=free); with the embedded engine, which lives
 * inside one process, auth, which keeps no data.
 */
function replicatedTier(): ReplicableTier {
  const shared =
    process.env.STACK_PORTS === 'free' ||
    /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');
  return shared ? 'inventory' : 'auth';
}

async function main(): Promise<void> {
  const replicated = replicatedTier();
  process.stdout.write(
    `starting five tiers, ${replicated} as ${ACT_REPLICAS} replicas (payment slowed to ${PAYMENT_LATENCY_MS} ms)…\n`,
  );
  if (replicated === 'auth')
    process.stdout.write(
      "  (inventory's replicas would need one shared database: with DATABASE_URL=postgres://… the replica act slows inventory)\n",
    );
  echoTierLogs(false);
  const stack = await runStack(
    {
      payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      // The replica act slows one of them through its chaos endpoint.
      [replicated]: { CHAOS_ENABLED: 'true' },
    },
    { [replicated]: ACT_REPLICAS },
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
