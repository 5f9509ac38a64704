import type { LoggerService, LogLevel } from '@nestjs/common';
import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyLogLine, type TierLoggerOptions } from '@lib/platform';

/** Nest's levels as pino levels: `log` is pino's `info`, `verbose` its `trace`. */
const LEVELS: Readonly<Record<LogLevel, number>> = {
  verbose: 10,
  debug: 20,
  log: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
const DEFAULT_LEVELS: readonly LogLevel[] = ['log', 'warn', 'error', 'fatal'];
/** A string argument that is a stack trace, not a context (Nest passes `error(message, stack, context)`). */
const STACK = /\n\s+at /;
/** Child loggers kept, one per context: Nest's contexts are class names, a short list. */
const MAX_CONTEXTS = 256;
type Pino = Logger<LogLevel>;

/**
 * The alternative `npm run bench:logger` measures against {@link TierLogger}: the same contract on
 * pino. Not used by the tiers (slower for this line; see libs/platform/README.md "Logs").
 *
 * Nest's `LoggerService` on pino: one JSON object per line (`LOG_FORMAT=json`, the default) or a
 * short human line (`LOG_FORMAT=pretty`). Object messages are merged into the line, so interceptors
 * log structured events (the `request ended` line). `error` and `fatal` go to stderr, the rest to
 * stdout.
 *
 * Each line is written as it is logged, in the calling thread, to `process.stdout`/`stderr` (no pino
 * transport, no worker thread, no buffer of its own), so lines keep their order and reach the OS as
 * they are made. The one exception is Node's queue for a pipe whose reader is behind, which keeps the
 * event loop running instead of blocking it; {@link flush} waits for it before an explicit
 * `process.exit`. pino's own destination suits a server that carries deadlines less: synchronous, it
 * sleeps 100 ms whenever a non-blocking pipe is full; asynchronous, the last lines are lost when Nest
 * ends the process with a signal after its shutdown hooks (`npm run bench:logger`, README "Logs").
 */
export class PinoLogger implements LoggerService {
  private readonly root: Pino;
  private readonly contexts = new Map<string, Pino>();
  private readonly destinations: readonly DestinationStream[];
  private enabled: ReadonlySet<LogLevel>;

  constructor(
    options: TierLoggerOptions & {
      readonly stdout?: DestinationStream;
      readonly stderr?: DestinationStream;
    },
  ) {
    const { service, format = 'json', levels = DEFAULT_LEVELS } = options;
    this.enabled = new Set(levels);
    const pretty = (out: DestinationStream): DestinationStream =>
      format === 'pretty' ? prettyStream(out, service) : out;
    const { stdout = process.stdout, stderr = process.stderr } = options;
    this.destinations = [stdout, stderr];
    this.root = pino<LogLevel, true>(
      {
        customLevels: LEVELS,
        useOnlyCustomLevels: true,
        level: 'verbose', // filtered here, by set, as Nest does
        base: { service },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: {
          level: (label) => ({ level: label }),
          // The request-end event names its service too: one `service` key per line, not two.
          log: (object) =>
            object.service === service ? withoutService(object) : object,
        },
      },
      pino.multistream(
        [
          { level: LEVELS.verbose, stream: pretty(stdout) },
          { level: LEVELS.error, stream: pretty(stderr) },
        ],
        { dedupe: true },
      ),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', message, rest);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.enabled = new Set(levels);
  }

  /** Resolves once every line logged so far has left the process (call it before `process.exit`). */
  async flush(): Promise<void> {
    await Promise.all(
      this.destinations
        .filter(isQueued)
        .map(
          (queued) =>
            new Promise<void>((resolve) => queued.write('', () => resolve())),
        ),
    );
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.enabled.has(level)) return;
    // Nest passes the context as the last string argument, and `error`/`fatal` a stack before it.
    let context = rest[rest.length - 1];
    let stack: string | undefined;
    if (level === 'error' || level === 'fatal') {
      stack = rest.find(
        (arg): arg is string => typeof arg === 'string' && STACK.test(arg),
      );
      if (context === stack) context = undefined;
    }
    const logger = this.loggerFor(
      typeof context === 'string' ? context : undefined,
    );
    if (message instanceof Error || stack === undefined) {
      // An Error becomes pino's `err` (type, message, stack) with its message as `msg`.
      if (typeof message === 'object' && message !== null)
        logger[level](message);
      else logger[level](String(message));
    } else if (typeof message === 'object' && message !== null)
      logger[level]({ ...message, stack });
    else logger[level]({ stack }, String(message));
  }

  private loggerFor(context: string | undefined): Pino {
    if (context === undefined) return this.root;
    let child = this.contexts.get(context);
    if (!child) {
      child = this.root.child({ context });
      if (this.contexts.size < MAX_CONTEXTS) this.contexts.set(context, child);
    }
    return child;
  }
}

/** A Node stream (process.stdout) with lines still in its queue. */
function isQueued(
  destination: DestinationStream,
): destination is NodeJS.WritableStream & { writableLength: number } {
  const { writableLength } = destination as { writableLength?: unknown };
  return typeof writableLength === 'number' && writableLength > 0;
}

function withoutService(
  object: Record<string, unknown>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in object) if (key !== 'service') copy[key] = object[key];
  return copy;
}

/** Prints each JSON line pino makes as {@link prettyLogLine}, in the same call. */
function prettyStream(
  out: DestinationStream,
  service: string,
): DestinationStream {
  return {
    write: (line) =>
      out.write(
        `${prettyLogLine({ context: service, ...(JSON.parse(line) as Record<string, unknown>) })}\n`,
      ),
  };
}
