import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../tools/stack/index.js';

/** A real token from the auth tier's own issuing command (same secret as the running tier). */
export function issueToken(
  subject = 'e2e-user',
  ttlSeconds = 3600,
  env: Record<string, string> = {},
): string {
  return execFileSync(
    process.execPath,
    [
      join(repoRoot(), 'dist/apps/auth/src/issue-token.js'),
      subject,
      String(ttlSeconds),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    },
  ).trim();
}
