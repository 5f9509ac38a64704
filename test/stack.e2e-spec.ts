import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../tools/stack/index.js';

// `npm run stack`: five processes, prefixed logs, every health check waited for, all stopped on Ctrl-C.
describe('npm run stack', () => {
  it('starts the five tiers, waits until healthy, and stops every one of them on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [join(repoRoot(), 'dist/scripts/stack.js')],
      {
        env: { ...process.env, STACK_PORTS: 'free' },
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
          reject(
            new Error(`stack exited early (${code}):\n${lines.join('\n')}`),
          ),
        );
      });
      const pids = Object.fromEntries(
        [...up.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]),
      );
      expect(Object.keys(pids).sort()).toEqual([
        'auth',
        'gateway',
        'inventory',
        'order',
        'payment',
      ]);
      const gateway = /gateway on (http:\/\/[\d.:]+)/.exec(up)![1];
      expect((await fetch(`${gateway}/health`)).status).toBe(200);
      // Strip the colour codes of the prefixed log lines.
      const plain = (l: string) =>
        // eslint-disable-next-line no-control-regex -- the escape character is what we strip
        l.replace(/\u001b\[\d+m/g, '');
      expect(
        lines.some((l) => /^\S*order\S*\s*│ LOG\s+listening/.test(plain(l))),
      ).toBe(true);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const pid of Object.values(pids))
        expect(() => process.kill(pid, 0)).toThrow(
          expect.objectContaining({ code: 'ESRCH' }),
        );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
