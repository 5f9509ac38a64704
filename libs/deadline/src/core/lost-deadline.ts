/**
 * The runtime half of the lost-deadline guard (DESIGN.md §2 "Deadline lost"): an outgoing call or
 * a query made with no deadline in scope is reported here. Each report is logged with its call
 * site, counted, handed to listeners (metrics), and, in strict mode, thrown.
 */

/** One piece of work that started with no deadline in scope. */
export interface LostDeadline {
  /** What was started: `grpc` for an outgoing call, `query` for a database query. */
  readonly kind: 'grpc' | 'query';
  /** What it was aimed at: `inventory.Reserve`, `inventory: SELECT …`. */
  readonly target: string;
  /** The first stack frame outside the libraries, `file:line:column`, when one is found. */
  readonly callSite: string | undefined;
}

export type LostDeadlineListener = (lost: LostDeadline) => void;

export interface LostDeadlineGuardOptions {
  /** Throw a {@link LostDeadlineError} instead of carrying on with a fallback budget. @default false */
  readonly strict?: boolean;
  /** Where the warning goes. @default a `DeadlineLostWarning` through `process.emitWarning` */
  readonly log?: (message: string, lost: LostDeadline) => void;
}

/** Thrown in strict mode for work started with no deadline in scope: a bug in the caller, not a fault downstream. */
export class LostDeadlineError extends Error {
  readonly tag = 'LostDeadlineError' as const;
  override readonly name = 'LostDeadlineError';

  constructor(readonly lost: LostDeadline) {
    super(
      `${lost.kind === 'grpc' ? 'gRPC call' : 'query'} ${lost.target} made with no deadline in scope${lost.callSite ? ` at ${lost.callSite}` : ''}`,
    );
  }

  static is(error: unknown): error is LostDeadlineError {
    return (
      error instanceof LostDeadlineError ||
      (error as { tag?: unknown } | null)?.tag === 'LostDeadlineError'
    );
  }
}

const emitWarning = (message: string): void =>
  process.emitWarning(message, {
    type: 'DeadlineLostWarning',
    code: 'DEADLINE_LOST',
  });

// Process-wide on purpose: a lost deadline is a property of the code, whichever client saw it.
let strict = false;
let log: (message: string, lost: LostDeadline) => void = emitWarning;
let total = 0;
const listeners = new Set<LostDeadlineListener>();

/** Sets strict mode and the log sink for the whole process (tiers call it once at start-up). */
export function configureLostDeadlineGuard(
  options: LostDeadlineGuardOptions,
): void {
  if (options.strict !== undefined) strict = options.strict;
  if (options.log) log = options.log;
}

/** Whether work with no deadline throws. */
export function lostDeadlineStrict(): boolean {
  return strict;
}

/** How many lost deadlines this process has seen. */
export function lostDeadlineCount(): number {
  return total;
}

/** Calls `listener` on every report (e.g. to increment a Prometheus counter). Returns the unsubscribe. */
export function onLostDeadline(listener: LostDeadlineListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Reports work started with no deadline in scope: logs it with the call site, counts it, tells the
 * listeners, and throws a {@link LostDeadlineError} in strict mode.
 */
export function reportLostDeadline(
  kind: LostDeadline['kind'],
  target: string,
): void {
  const lost: LostDeadline = { kind, target, callSite: callSite() };
  const error = new LostDeadlineError(lost);
  total++;
  log(error.message, lost);
  for (const listener of listeners) {
    try {
      listener(lost);
    } catch {
      // A broken metrics hook must not turn into a failed request.
    }
  }
  if (strict) throw error;
}

/** The first frame that is neither this library nor Node's internals nor node_modules: where the deadline was dropped. */
function callSite(): string | undefined {
  // Enough frames to get past this library and the driver's wrappers.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack.split('\n').slice(1);
  for (const frame of frames) {
    const ours = /\.spec\.[jt]s:/.test(frame);
    if (
      !ours &&
      /[\\/]libs[\\/](deadline|database)[\\/]|node:internal|[\\/]node_modules[\\/]|\(native\)|\(<anonymous>\)/.test(
        frame,
      )
    )
      continue;
    const match = /\(?((?:[A-Za-z]:)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(frame);
    if (match) return match[1];
  }
  return undefined;
}
