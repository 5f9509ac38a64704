// `npm run stack`: the five tiers as separate processes on the documented ports, with prefixed,
// human-readable logs (each tier writes JSON lines, printed here as `LOG   [context] msg key=value`).
// STACK_REPLICAS=inventory=3 (comma-separated <tier>=<count>) runs several processes of a gRPC tier.
// Ctrl-C stops them all.
import { prettyLogLine } from '@lib/platform';
import {
  parseReplicas,
  REPLICABLE_TIERS,
  type Replicas,
  Stack,
  type TierName,
  TIERS,
} from '../tools/stack/index.js';

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

/** Prints a tier's log line behind its name (`inventory-2` for a tier's second replica), in the tier's colour. */
export function prefixLine(tier: string, line: string): void {
  if (!echoLogs) return;
  const colour = COLORS[tier.replace(/-\d+$/, '')] ?? '0';
  const label = `\u001b[${colour}m${tier.padEnd(11)}\u001b[0m│`;
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

/** The replicas `STACK_REPLICAS` asks for; exits with the problem when it is malformed. */
export function replicasFromEnv(): Replicas {
  const parsed = parseReplicas(process.env.STACK_REPLICAS ?? '');
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    process.exit(2);
  }
  return parsed;
}

export async function runStack(
  tierEnv: Partial<Record<TierName, Record<string, string>>> = {},
  replicas: Replicas = replicasFromEnv(),
  /** Where the data tiers keep their data (Stack's `database` option). @default Stack's */
  database?: string,
): Promise<Stack> {
  // STACK_PORTS=free picks free ports instead of the documented ones (used by the stack's own test).
  const stack = await Stack.start({
    ports: process.env.STACK_PORTS === 'free' ? 'free' : 'default',
    onLine: prefixLine,
    tierEnv,
    replicas,
    database,
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

/** `inventory: 3 replicas on 127.0.0.1:50053, 127.0.0.1:50063, 127.0.0.1:50073`, one line per tier that runs several. */
export function replicaLines(stack: Stack): string[] {
  return REPLICABLE_TIERS.filter((t) => stack.replicas(t).length > 1).map(
    (t) =>
      `${t}: ${stack.replicas(t).length} replicas on ${stack
        .replicas(t)
        .map((_, i) => stack.grpcUrl(t, i))
        .join(', ')}`,
  );
}

if (require.main === module) {
  runStack()
    .then((stack) => {
      // One PID per process; a tier with replicas lists them all (inventory=101,102,103).
      const pids = TIERS.map(
        (t) =>
          `${t}=${stack
            .replicas(t)
            .map((p) => p.pid)
            .join(',')}`,
      ).join(' ');
      process.stdout.write(
        [
          '',
          ...replicaLines(stack),
          `all five tiers are up and healthy; gateway on ${stack.gatewayUrl} (Ctrl-C stops them) [${pids}]`,
          '',
        ].join('\n'),
      );
    })
    .catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    });
}
