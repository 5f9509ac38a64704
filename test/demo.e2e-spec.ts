import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../tools/stack/index.js';

// `npm run demo` on free ports (and so the stack's throwaway PostgreSQL database, which lets the
// three inventory replicas share their stock): its four budget acts, then the replica act — one of
// three inventory replicas slowed past the orders' budget, and the orders placed all the same.
describe('npm run demo', () => {
  it('prints the budget acts and the replica act, whose orders go around the slowed replica, and stops every tier on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot(), 'dist/scripts/demo.js')],
      {
        env: { ...process.env, STACK_PORTS: 'free', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', resolve),
    );
    const lines: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          // eslint-disable-next-line no-control-regex -- the escape character is what we strip
          lines.push(line.replace(/\u001b\[\d+m/g, ''));
          if (line.includes('Ctrl-C stops all five tiers')) resolve();
        });
        void exited.then((code) =>
          reject(
            new Error(`demo exited early (${code}):\n${lines.join('\n')}`),
          ),
        );
      });
      const output = lines.join('\n');

      // The four budget acts, as before.
      for (const answer of [
        'X-Request-Timeout: 2000 → HTTP 201',
        'X-Request-Timeout: 300 → HTTP 504',
        'X-Request-Timeout: 999999 → HTTP 201',
        'X-Request-Timeout: 5000ms → HTTP 400',
      ])
        expect(output).toContain(answer);

      // The replica act.
      const act = lines.findIndex((l) =>
        l.startsWith('▶ One of 3 inventory replicas slowed by 1000 ms'),
      );
      expect(act).toBeGreaterThan(0);
      const actLines = lines.slice(act);
      const [, placed, total] = /→ (\d+) of (\d+) placed/
        .exec(actLines.find((l) => l.includes('placed in'))!)!
        .map(Number);
      expect(total).toBe(20);
      // Round robin would send a third of them to the slowed replica and lose those; the balancer
      // sends it almost none, and a call that does reach it is hedged to another replica.
      expect(placed).toBeGreaterThanOrEqual(18);
      expect(
        actLines.some((l) => /^ {2}hedges: \d+ sent, \d+ won/.test(l)),
      ).toBe(true);

      // One row per replica, named <hostname>:<gRPC port>, the slowed one last: it served no Reserve in
      // time, and the two others served one for every order placed.
      const servedAt = actLines.findIndex((l) =>
        l.includes('Reserve served by'),
      );
      const rows = actLines.slice(servedAt + 1, servedAt + 4).map((l) => {
        const match =
          /^ {4}(\S+?:\d+)( \(slowed\))?\s+(\d+) ok(?:, (\d+) \w+)?$/.exec(l);
        expect(match, l).not.toBeNull();
        return {
          name: match![1],
          slowed: match![2] !== undefined,
          ok: Number(match![3]),
        };
      });
      expect(rows.every((r) => r.name.startsWith(`${hostname()}:`))).toBe(true);
      expect(new Set(rows.map((r) => r.name)).size).toBe(3);
      expect(rows.map((r) => r.slowed)).toEqual([false, false, true]);
      expect(rows[2].ok).toBe(0);
      expect(rows[0].ok + rows[1].ok).toBe(placed);

      // The sample order's hop table names the replica of every hop, its Reserve one of the healthy two.
      const table = actLines.findIndex((l) =>
        /^ {2}level\s+service\s+method\s+initial\s+remaining\s+spent\s+decay\s+outcome\s+replica$/.test(
          l,
        ),
      );
      expect(table).toBeGreaterThan(servedAt);
      const reserve = actLines
        .slice(table + 2)
        .find((l) => /^ {2}\d+\s+inventory\s+Reserve\s.*\sok\s+\S+$/.test(l));
      expect(reserve).toBeDefined();
      const reserveReplica = reserve!.trim().split(/\s+/).pop();
      expect([rows[0].name, rows[1].name]).toContain(reserveReplica);
      expect(
        actLines.some((l) => l.startsWith('  fault cleared; slow it again')),
      ).toBe(true);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 300_000);
});
