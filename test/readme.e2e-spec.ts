import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_ERROR_CODES } from '../apps/gateway/src/gateway.error-codes.js';
import { repoRoot } from '../tools/stack/index.js';

// "Every knob is in the README's table": each variable any tier validates must be documented.
describe('README configuration table', () => {
  const root = repoRoot();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  const specs = readdirSync(join(root, 'apps')).flatMap((app) =>
    readdirSync(join(root, 'apps', app, 'src'))
      .filter((file) => file.endsWith('.env.ts'))
      .map((file) => join(root, 'apps', app, 'src', file)),
  );

  it('finds the tiers’ environment specs', () => {
    expect(specs.length).toBeGreaterThanOrEqual(5);
  });

  it('documents every variable a tier reads', async () => {
    const variables = new Set<string>();
    for (const file of specs) {
      for (const exported of Object.values(
        (await import(file)) as Record<string, unknown>,
      )) {
        if (exported && typeof exported === 'object')
          Object.keys(exported).forEach((name) => variables.add(name));
      }
    }
    const undocumented = [...variables]
      .filter((name) => !readme.includes(`\`${name}\``))
      .sort();
    expect(undocumented).toEqual([]);
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});

// "Every error code the gateway answers is in the README's table": its rows against the code's list.
describe('README error table', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const header = '| outcome | HTTP | body `error` |';
  const rows = readme
    .slice(readme.indexOf(header) + header.length)
    .split('\n')
    .slice(2) // the header's separator line, after the header's own line end
    .filter((line, i, lines) =>
      lines.slice(0, i + 1).every((l) => l.startsWith('|')),
    )
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );

  it('has one row per code, each naming one code and its HTTP status', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const [, http, error] of rows) {
      expect(error).toMatch(/^`[a-z_]+`$/);
      expect(http).toMatch(/`\d{3}`|injected/);
    }
  });

  it('lists exactly the codes the gateway answers, with their status', () => {
    const documented = Object.fromEntries(
      rows.map(([, http, error]) => [
        error.slice(1, -1),
        http.includes('injected')
          ? 'injected'
          : Number(/`(\d{3})`/.exec(http)![1]),
      ]),
    );
    expect(documented).toEqual(GATEWAY_ERROR_CODES);
    expect(rows).toHaveLength(Object.keys(GATEWAY_ERROR_CODES).length);
  });
});
