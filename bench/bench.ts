// `npm run bench`: the scenarios of issue 4 side by side (naive / deadline / full), with a progress
// bar; prints the tables and writes docs/benchmarks.md and docs/benchmarks.json.
//   npm run bench                      the full run (about 12 minutes on 2 cores)
//   npm run bench -- --smoke           every scenario with tiny N (what npm test runs), writes nothing
//   npm run bench -- --only avalanche --modes deadline,full
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../tools/stack/index.js';
import { formatMarkdown, formatTables } from './bench-report.js';
import {
  FULL_PROFILE,
  runBench,
  type ScenarioName,
  SCENARIOS,
  SMOKE_PROFILE,
} from './run-bench.js';
import {
  type Mode,
  MODES,
  stopBenchStacksOnSignal,
} from './support/bench-stack.js';

async function main(): Promise<void> {
  stopBenchStacksOnSignal();
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const smoke = args.includes('--smoke');
  const profile = smoke ? SMOKE_PROFILE : FULL_PROFILE;
  const modes = (value('--modes')?.split(',') ?? profile.modes) as Mode[];
  const scenarios = (value('--only')?.split(',') ??
    SCENARIOS) as ScenarioName[];
  const bad = [
    ...modes.filter((m) => !MODES.includes(m)),
    ...scenarios.filter((s) => !SCENARIOS.includes(s)),
  ];
  if (bad.length) {
    process.stderr.write(
      `unknown mode or scenario: ${bad.join(', ')} (modes: ${MODES.join(', ')}; scenarios: ${SCENARIOS.join(', ')})\n`,
    );
    process.exit(2);
  }
  const command = [
    'npm run bench',
    ...(args.length ? ['--', ...args] : []),
  ].join(' ');
  const results = await runBench({ profile, modes, scenarios, command });
  process.stdout.write(`\n${formatTables(results)}\n`);
  // Only a complete full run replaces the published numbers.
  if (!smoke && !args.includes('--no-write')) {
    const docs = join(repoRoot(), 'docs');
    const md = join(docs, 'benchmarks.md');
    writeFileSync(
      join(docs, 'benchmarks.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    writeFileSync(
      md,
      formatMarkdown(results, existsSync(md) ? readFileSync(md, 'utf8') : ''),
    );
    process.stdout.write(`written: ${md} and benchmarks.json\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
