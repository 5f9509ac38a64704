import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot, Stack } from '../tools/stack/index.js';
import { placeOrder } from './support/orders.js';
import { issueToken } from './support/tokens.js';

// LOG_FLUSH_MS gathers a tier's lines and writes them together; a process ended by SIGTERM must still
// write the lines it was holding (its `exit` event does). A window far longer than the test makes
// "gathered, not yet written" and "written at exit" both visible.
describe('log lines gathered for LOG_FLUSH_MS (real processes)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ env: { LOG_FLUSH_MS: '30000' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('announces listening at once, holds the request lines, and writes them when SIGTERM ends the process', async () => {
    const gateway = stack.tier('gateway');
    const payment = stack.tier('payment');
    const before = gateway.requestsEnded().length;
    const answer = await placeOrder(stack.gatewayUrl, issueToken(), {
      budgetMs: 5_000,
      sku: 'espresso',
    });
    expect(answer.status).toBe(201);
    // Gathered: the window has 30 s to go.
    expect(gateway.requestsEnded().length).toBe(before);
    expect(payment.events.some((e) => e.msg === 'capturing')).toBe(false);

    await Promise.all([gateway.stop(), payment.stop()]);
    await expect(
      gateway.waitFor(
        (e) => e.msg === 'request ended' && e.method === 'POST /orders',
        5_000,
      ),
    ).resolves.toMatchObject({ outcome: 'ok' });
    await expect(
      payment.waitFor((e) => e.msg === 'capturing', 5_000),
    ).resolves.toMatchObject({ service: 'payment' });
  }, 60_000);

  it('ends a process that nothing else handles SIGTERM in as the signal would, its held lines written', async () => {
    const sink = join(
      repoRoot(),
      'dist/libs/platform/src/batched-line-sink.js',
    );
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { BatchedLineSink } = require(${JSON.stringify(sink)});
         const lines = new BatchedLineSink(process.stdout, { flushMs: 60000 });
         lines.write('held\\n');
         setInterval(() => undefined, 1000);
         process.stdout.write('ready\\n');`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready')) child.kill('SIGTERM');
    });
    const [code, signal] = (await once(child, 'close')) as [
      number | null,
      string | null,
    ];
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(out).toBe('ready\nheld\n');
  }, 30_000);
});
