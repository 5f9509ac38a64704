import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

const run = promisify(execFile);
const TRACE = join(repoRoot(), 'dist/scripts/trace.js');

describe('npm run trace (the ContextTracer table in the terminal)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: { payment: { PAYMENT_PROVIDER_LATENCY_MS: '400' } },
    });
    const token = issueToken();
    for (const budget of ['2000', '250']) {
      const response = await fetch(`${stack.gatewayUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-request-timeout': budget,
        },
        body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
      });
      await response.arrayBuffer();
    }
    await eventually(async () => {
      const body = (await (
        await fetch(`${stack.gatewayUrl}/_tracer/requests`)
      ).json()) as { requests: unknown[] };
      expect(body.requests.length).toBeGreaterThanOrEqual(2);
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("prints each recent request's hops with level, initial, remaining and decay", async () => {
    const { stdout } = await run(
      process.execPath,
      [TRACE, '--url', stack.gatewayUrl, '--last', '2'],
      { timeout: 20_000 },
    );
    const [ok, failed] = stdout
      .split(/\n(?=#\d+ )/)
      .filter((block) => block.trim());
    expect(ok).toMatch(/POST \/orders → ok, budget 2000 ms/);
    expect(ok).toMatch(
      /level\s+service\s+method\s+initial\s+remaining\s+spent\s+decay\s+outcome\s+replica/,
    );
    for (const row of [
      'gateway  POST /orders',
      'auth     VerifyToken',
      'order    PlaceOrder',
      'inventory  Reserve',
      'payment  Charge',
    ]) {
      expect(ok.replace(/ +/g, ' ')).toContain(row.replace(/ +/g, ' '));
    }
    // The last column names the process that served each hop (REPLICA_ID's default, <hostname>:<port>).
    const gatewayRow =
      /^\s+0\s+gateway\s+POST \/orders\s+2000\.0 ms\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+%\s+ok\s+(\S+)$/m.exec(
        ok,
      );
    expect(gatewayRow?.[1]).toBe(`${hostname()}:${stack.ports.gateway}`);
    expect(failed).toMatch(/POST \/orders → deadline_exceeded, budget 250 ms/);
    // How far the chain's records got back depends on which hop gave up first; the edge's row is always there.
    expect(failed).toMatch(
      /^\s+0\s+gateway\s+POST \/orders\s+250\.0 ms\s.*\sdeadline_exceeded\s+\S+:\d+$/m,
    );
  });

  it('keeps only one outcome when asked', async () => {
    const { stdout } = await run(
      process.execPath,
      [TRACE, '--url', stack.gatewayUrl, '--outcome', 'deadline_exceeded'],
      { timeout: 20_000 },
    );
    expect(stdout).toContain('→ deadline_exceeded');
    expect(stdout).not.toContain('→ ok');
  });

  it("refuses an unknown outcome with the gateway's message", async () => {
    const failure = await run(
      process.execPath,
      [TRACE, '--url', stack.gatewayUrl, '--outcome', 'slow'],
      { timeout: 20_000 },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain(
      'outcome must be one of ok, deadline_exceeded, cancelled, breaker_open, error',
    );
  });
});
