import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { freePort, repoRoot } from '../tools/stack/index.js';

// "Copying a lib out must just work": libs/deadline alone, dropped into a fresh Nest project,
// compiles under strict TypeScript and serves a deadline-aware endpoint.
describe('libs/deadline copied into another Nest project', () => {
  const root = repoRoot();
  // Inside the repo (git-ignored) so the copy resolves the same node_modules a user would install.
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const project = mkdtempSync(join(root, '.tmp', 'copy-out-'));

  afterAll(() => rmSync(project, { recursive: true, force: true }));

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

  it('compiles in a fresh strict project and answers with the caller’s deadline in scope', async () => {
    cpSync(join(root, 'libs/deadline/src'), join(project, 'src/deadline'), {
      recursive: true,
      filter: (src) => !src.endsWith('.spec.ts'),
    });
    writeFileSync(
      join(project, 'src/main.ts'),
      `import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { currentDeadline, DeadlineModule } from './deadline';

@Controller()
class PingController {
  @Get('ping')
  ping(): { remainingMs: number } {
    return { remainingMs: Math.round(currentDeadline()?.remaining() ?? -1) };
  }
}

@Module({ imports: [DeadlineModule.forRoot({ service: 'copied', inbound: 'http' })], controllers: [PingController] })
class AppModule {}

void NestFactory.create(AppModule, { logger: false }).then(async (app) => {
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write('listening\\n');
});
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'commonjs',
          target: 'ES2022',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          esModuleInterop: true,
          skipLibCheck: true,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', project],
      { stdio: 'pipe' },
    );

    const port = await freePort();
    const child = spawn(process.execPath, [join(project, 'dist/main.js')], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on(
          'data',
          (chunk: Buffer) =>
            chunk.toString().includes('listening') && resolve(),
        );
        child.once('exit', (code) =>
          reject(new Error(`copied app exited with ${code}`)),
        );
      });
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
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
