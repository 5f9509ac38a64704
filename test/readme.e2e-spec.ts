import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
