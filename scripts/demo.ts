// `npm run demo`: starts the five tiers (payment deliberately slowed), sends a few orders with
// different budgets, prints each request's per-hop deadline table, and leaves the stack running.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { formatHopTable, type HopRecord } from '@lib/deadline';
import { repoRoot } from '../tools/stack/index.js';
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

async function main(): Promise<void> {
  process.stdout.write(
    `starting five tiers (payment slowed to ${PAYMENT_LATENCY_MS} ms)…\n`,
  );
  echoTierLogs(false);
  const stack = await runStack({
    payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
  });
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
