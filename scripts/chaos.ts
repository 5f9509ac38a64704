// `npm run chaos -- <tier> <kind> [value] [options]`: injects a fault into a running tier through
// its admin endpoint (the tier must run with CHAOS_ENABLED=true), like ChaosBlade's `blade create`.
//   npm run chaos -- inventory delay 800 --percent 100 --for 30s
//   npm run chaos -- inventory delay 800 --jitter 100 --method Reserve --max 10
//   npm run chaos -- payment error UNAVAILABLE --percent 30
//   npm run chaos -- order abort --percent 10        npm run chaos -- inventory hang --for 10s
//   npm run chaos -- inventory list                  npm run chaos -- inventory clear [id]
// --admin <url> overrides the tier's admin URL (default http://127.0.0.1:<documented admin port>,
// or <TIER>_ADMIN_PORT from the environment).
import {
  DEFAULT_ADMIN_PORTS,
  type GrpcTierName,
} from '../tools/stack/index.js';

export interface ChaosCommand {
  readonly adminUrl: string;
  readonly action: 'add' | 'list' | 'clear';
  readonly body?: Record<string, unknown>;
  readonly id?: string;
}

const USAGE =
  'usage: npm run chaos -- <auth|order|inventory|payment> <delay <ms>|error [code]|abort|hang|list|clear [id]> [--percent n] [--for 30s] [--method Name] [--max n] [--jitter ms] [--admin url]';

/** Reads the command line into a request; a string is the reason it was refused. */
export function parseChaosArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ChaosCommand | string {
  const [tier, kind, ...rest] = argv;
  if (!tier || !(tier in DEFAULT_ADMIN_PORTS))
    return `unknown tier "${tier ?? ''}"\n${USAGE}`;
  const port =
    env[`${tier.toUpperCase()}_ADMIN_PORT`] ??
    String(DEFAULT_ADMIN_PORTS[tier as GrpcTierName]);
  let adminUrl = `http://127.0.0.1:${port}`;
  const positional: string[] = [];
  const body: Record<string, unknown> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const value = rest[++i];
    if (value === undefined) return `${arg} needs a value\n${USAGE}`;
    switch (arg) {
      case '--percent':
        body.percent = Number(value);
        break;
      case '--for': {
        const ms = durationMs(value);
        if (ms === undefined)
          return `--for takes a duration like 800ms, 30s or 5m, got "${value}"`;
        body.durationMs = ms;
        break;
      }
      case '--method':
        body.method = value;
        break;
      case '--max':
        body.maxConcurrent = Number(value);
        break;
      case '--jitter':
        body.jitterMs = Number(value);
        break;
      case '--admin':
        adminUrl = value.replace(/\/$/, '');
        break;
      default:
        return `unknown option ${arg}\n${USAGE}`;
    }
  }
  switch (kind) {
    case 'list':
      return { adminUrl, action: 'list' };
    case 'clear':
      return { adminUrl, action: 'clear', id: positional[0] };
    case 'delay': {
      const ms =
        positional[0] === undefined ? undefined : durationMs(positional[0]);
      if (ms === undefined)
        return `delay needs a time, e.g. delay 800\n${USAGE}`;
      return { adminUrl, action: 'add', body: { kind, delayMs: ms, ...body } };
    }
    case 'error': {
      const code =
        positional[0] === undefined
          ? undefined
          : /^\d+$/.test(positional[0])
            ? Number(positional[0])
            : positional[0];
      return {
        adminUrl,
        action: 'add',
        body: { kind, ...(code === undefined ? {} : { code }), ...body },
      };
    }
    case 'abort':
    case 'hang':
      return { adminUrl, action: 'add', body: { kind, ...body } };
    default:
      return `unknown fault kind "${kind ?? ''}"\n${USAGE}`;
  }
}

/** `800`, `800ms`, `30s`, `5m` → milliseconds. */
function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) return undefined;
  const factor = match[2] === 's' ? 1_000 : match[2] === 'm' ? 60_000 : 1;
  return Math.round(Number(match[1]) * factor);
}

async function main(): Promise<void> {
  const command = parseChaosArgs(process.argv.slice(2));
  if (typeof command === 'string') {
    process.stderr.write(`${command}\n`);
    process.exit(2);
  }
  const url = `${command.adminUrl}/chaos/faults${command.id ? `/${encodeURIComponent(command.id)}` : ''}`;
  const method =
    command.action === 'add'
      ? 'POST'
      : command.action === 'clear'
        ? 'DELETE'
        : 'GET';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: command.body
        ? { 'content-type': 'application/json' }
        : undefined,
      body: command.body ? JSON.stringify(command.body) : undefined,
      signal: AbortSignal.timeout(5_000),
    });
  } catch (error) {
    const cause: unknown = (error as Error).cause;
    process.stderr.write(
      `cannot reach ${url}: ${cause instanceof Error ? cause.message : (error as Error).message}\n`,
    );
    process.exit(1);
  }
  const text = await response.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as is
  }
  (response.ok ? process.stdout : process.stderr).write(
    `${response.status} ${shown}\n`,
  );
  process.exit(response.ok ? 0 : 1);
}

if (require.main === module) void main();
