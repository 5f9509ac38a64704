import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { freePort, repoRoot } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';

// "Copying a lib out must just work": libs/deadline alone, dropped into the project that
// `nest new` makes today (Nest 12: an ES-module project, `module: nodenext`, strict TypeScript),
// builds with `nest build` and serves a deadline-aware endpoint. The monorepo itself is the
// CommonJS case: it compiles the same files as CommonJS.
describe('libs/deadline copied into a fresh Nest 12 project', () => {
  const root = repoRoot();
  const nest = join(root, 'node_modules/@nestjs/cli/bin/nest.js');
  // Inside the repo (git-ignored) so the copy resolves the same node_modules a user would install.
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const workspace = mkdtempSync(join(root, '.tmp', 'copy-out-'));
  const project = join(workspace, 'fresh');

  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('imports nothing from this repository but itself', () => {
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((name) =>
        statSync(join(dir, name)).isDirectory()
          ? walk(join(dir, name))
          : [join(dir, name)],
      );
    })(join(root, 'libs/deadline/src')).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
    );
    const foreign = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)]
        .map((m) => m[1])
        .filter(
          (spec) =>
            spec.startsWith('@lib/') ||
            (spec.startsWith('.') &&
              relative(
                join(root, 'libs/deadline'),
                join(file, '..', spec),
              ).startsWith('..')),
        )
        .map((spec) => `${relative(root, file)} → ${spec}`),
    );
    expect(foreign).toEqual([]);
  });

  it('builds with `nest build` in the project `nest new` makes and answers with the caller’s deadline in scope', async () => {
    // The Nest CLI's own generator, offline: no install, no git.
    execFileSync(
      process.execPath,
      [nest, 'new', 'fresh', '--skip-install', '--skip-git', '-p', 'npm'],
      { cwd: workspace, stdio: 'pipe' },
    );
    const manifest = JSON.parse(
      readFileSync(join(project, 'package.json'), 'utf8'),
    ) as { type?: string; dependencies: Record<string, string> };
    expect(manifest.type).toBe('module');
    expect(manifest.dependencies['@nestjs/core']).toMatch(/^\^12\./);
    expect(readFileSync(join(project, 'tsconfig.json'), 'utf8')).toMatch(
      /"module": "nodenext"/,
    );
    // What `npm install` would bring, plus the lib's own peer: this repository's node_modules.
    symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));

    cpSync(join(root, 'libs/deadline/src'), join(project, 'src/deadline'), {
      recursive: true,
      filter: (src) => !src.endsWith('.spec.ts'),
    });
    writeFileSync(
      join(project, 'src/ping.controller.ts'),
      `import { Controller, Get } from '@nestjs/common';
import { currentDeadline } from './deadline/index.js';

@Controller()
export class PingController {
  @Get('ping')
  ping(): { remainingMs: number } {
    return { remainingMs: Math.round(currentDeadline()?.remaining() ?? -1) };
  }
}
`,
    );
    edit(join(project, 'src/app.module.ts'), [
      [
        "import { Module } from '@nestjs/common';",
        "import { Module } from '@nestjs/common';\nimport { DeadlineModule } from './deadline/index.js';\nimport { PingController } from './ping.controller.js';",
      ],
      [
        'imports: [],',
        "imports: [DeadlineModule.forRoot({ service: 'copied', inbound: 'http' })],",
      ],
      [
        'controllers: [AppController],',
        'controllers: [AppController, PingController],',
      ],
    ]);
    // Tests listen on loopback only.
    edit(join(project, 'src/main.ts'), [
      [
        'await app.listen(process.env.PORT ?? 3000);',
        "await app.listen(process.env.PORT ?? 3000, '127.0.0.1');",
      ],
    ]);
    execFileSync(process.execPath, [nest, 'build'], {
      cwd: project,
      stdio: 'pipe',
    });

    const port = await freePort();
    const child = spawn(process.execPath, [join(project, 'dist/main.js')], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      // Nest prints "successfully started" before the port is bound: wait for an answer instead.
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code) =>
          reject(new Error(`copied app exited with ${code}`)),
        ),
      );
      exited.catch(() => undefined); // once answered, its exit is the test's own doing
      await Promise.race([
        exited,
        eventually(() => fetch(`http://127.0.0.1:${port}/`), 30_000, 100),
      ]);
      const ok = await fetch(`http://127.0.0.1:${port}/ping`, {
        headers: { 'x-request-timeout': '1234' },
      });
      expect(ok.status).toBe(200);
      const { remainingMs } = (await ok.json()) as { remainingMs: number };
      expect(remainingMs).toBeGreaterThan(1000);
      expect(remainingMs).toBeLessThanOrEqual(1234);
      const bad = await fetch(`http://127.0.0.1:${port}/ping`, {
        headers: { 'x-request-timeout': 'soon' },
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({
        error: 'invalid_timeout',
        field: 'x-request-timeout',
      });
      // The scaffold's own route still answers: the lib added to the app, it did not take it over.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe(
        'Hello World!',
      );
    } finally {
      if (child.exitCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
    }
  }, 120_000);
});

/** Rewrites a scaffolded file, failing loudly when the scaffold no longer has a text we replace. */
function edit(path: string, replacements: [from: string, to: string][]): void {
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from))
      throw new Error(`${path}: the scaffold has no "${from}"`);
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
}
