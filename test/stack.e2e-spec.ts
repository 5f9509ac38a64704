import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HopRecord } from '@lib/deadline';
import { repoRoot } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly lines: string[];
  /** The line saying every tier is up. */
  readonly up: string;
}

/** Runs `npm run stack`'s script on free ports and waits until it says every tier is up. */
async function startStack(env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(
    process.execPath,
    [join(repoRoot(), 'dist/scripts/stack.js')],
    {
      env: { ...process.env, STACK_PORTS: 'free', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', resolve),
  );
  const lines: string[] = [];
  try {
    const up = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        if (line.includes('all five tiers are up')) resolve(line);
      });
      void exited.then((code) =>
        reject(new Error(`stack exited early (${code}):\n${lines.join('\n')}`)),
      );
    });
    return { child, exited, lines, up };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}

/** Every PID the up line lists, per tier (a tier with replicas lists several: `inventory=101,102`). */
function pidsOf(up: string): Record<string, number[]> {
  return Object.fromEntries(
    [...up.matchAll(/(\w+)=([\d,]+)/g)].map((m) => [
      m[1],
      m[2].split(',').map(Number),
    ]),
  );
}

/** Ctrl-C: the script exits 0 and none of its processes is left. */
async function interruptAndCheck(
  started: Started,
  pids: readonly number[],
): Promise<void> {
  started.child.kill('SIGINT');
  expect(await started.exited).toBe(0);
  for (const pid of pids)
    expect(() => process.kill(pid, 0)).toThrow(
      expect.objectContaining({ code: 'ESRCH' }),
    );
}

// `npm run stack`: five processes, prefixed logs, every health check waited for, all stopped on Ctrl-C.
describe('npm run stack', () => {
  it('starts the five tiers, waits until healthy, and stops every one of them on SIGINT', async () => {
    const started = await startStack();
    try {
      const { up, lines } = started;
      const pids = pidsOf(up);
      expect(Object.keys(pids).sort()).toEqual([
        'auth',
        'gateway',
        'inventory',
        'order',
        'payment',
      ]);
      expect(Object.values(pids).every((list) => list.length === 1)).toBe(true);
      const gateway = /gateway on (http:\/\/[\d.:]+)/.exec(up)![1];
      expect((await fetch(`${gateway}/health`)).status).toBe(200);
      // Strip the colour codes of the prefixed log lines.
      const plain = (l: string) =>
        // eslint-disable-next-line no-control-regex -- the escape character is what we strip
        l.replace(/\u001b\[\d+m/g, '');
      expect(
        lines.some((l) => /^\S*order\S*\s*│ LOG\s+listening/.test(plain(l))),
      ).toBe(true);
      await interruptAndCheck(started, Object.values(pids).flat());
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  }, 60_000);

  it('runs two inventory replicas with STACK_REPLICAS=inventory=2, serves Reserve from both, and stops all six processes', async () => {
    const started = await startStack({ STACK_REPLICAS: 'inventory=2' });
    try {
      const { up, lines } = started;
      const pids = pidsOf(up);
      expect(pids.inventory).toHaveLength(2);
      const listed = lines.find((l) =>
        l.startsWith('inventory: 2 replicas on'),
      );
      const addresses = [...(listed ?? '').matchAll(/127\.0\.0\.1:(\d+)/g)].map(
        (m) => Number(m[1]),
      );
      expect(addresses).toHaveLength(2);
      const gateway = /gateway on (http:\/\/[\d.:]+)/.exec(up)![1];
      const token = issueToken();
      const placeOrder = async (): Promise<HopRecord | undefined> => {
        const response = await fetch(`${gateway}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-request-timeout': '5000',
          },
          body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
        });
        expect(response.status).toBe(201);
        const body = (await response.json()) as {
          deadline: { hops: HopRecord[] };
        };
        return body.deadline.hops.find((h) => h.service === 'inventory');
      };
      // Each Reserve's hop record names the process that served it: order balances over both.
      const served = new Set<string | undefined>();
      await eventually(async () => {
        const hops = await Promise.all(Array.from({ length: 4 }, placeOrder));
        for (const hop of hops) served.add(hop?.replica);
        expect([...served].sort()).toEqual(
          addresses.map((port) => `${hostname()}:${port}`).sort(),
        );
      }, 30_000);
      await interruptAndCheck(started, Object.values(pids).flat());
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses a malformed STACK_REPLICAS before starting any tier', async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot(), 'dist/scripts/stack.js')],
      {
        env: {
          ...process.env,
          STACK_PORTS: 'free',
          STACK_REPLICAS: 'inventory=lots',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', resolve),
    );
    expect(code).toBe(2);
    expect(output).toBe(
      'STACK_REPLICAS: "inventory=lots" is not <tier>=<count> (e.g. inventory=3)\n',
    );
  }, 30_000);
});
