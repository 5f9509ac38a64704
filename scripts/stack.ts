// `npm run stack`: the five tiers as separate processes on the documented ports, with prefixed,
// human-readable logs (each tier writes JSON lines, printed here as `LOG   [context] msg key=value`).
// Ctrl-C stops them all.
import { prettyLogLine } from '@lib/platform';
import { Stack, type TierName, TIERS } from '../tools/stack/index.js';

let echoLogs = true;

/** Turns the tiers' log echo off (while the demo prints its tables) and back on. */
export function echoTierLogs(on: boolean): void {
  echoLogs = on;
}

const COLORS: Record<string, string> = {
  gateway: '35',
  auth: '36',
  order: '33',
  inventory: '32',
  payment: '34',
};

export function prefixLine(tier: string, line: string): void {
  if (!echoLogs) return;
  const label = `\u001b[${COLORS[tier] ?? '0'}m${tier.padEnd(9)}\u001b[0m│`;
  let text = line;
  try {
    const record: unknown = JSON.parse(line);
    if (typeof record === 'object' && record !== null)
      text = prettyLogLine(record as Record<string, unknown>);
  } catch {
    // not JSON: print as is
  }
  process.stdout.write(`${label} ${text}\n`);
}

export async function runStack(
  tierEnv: Partial<Record<TierName, Record<string, string>>> = {},
): Promise<Stack> {
  // STACK_PORTS=free picks free ports instead of the documented ones (used by the stack's own test).
  const stack = await Stack.start({
    ports: process.env.STACK_PORTS === 'free' ? 'free' : 'default',
    onLine: prefixLine,
    tierEnv,
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping all tiers…\n');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return stack;
}

if (require.main === module) {
  runStack()
    .then((stack) => {
      const pids = TIERS.map((t) => `${t}=${stack.tier(t).pid}`).join(' ');
      process.stdout.write(
        `\nall five tiers are up and healthy; gateway on ${stack.gatewayUrl} (Ctrl-C stops them) [${pids}]\n`,
      );
    })
    .catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    });
}
