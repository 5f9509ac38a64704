import type { LoggerService, LogLevel } from '@nestjs/common';
import { BatchedLineSink } from './batched-line-sink.js';
import { prettyLogLine } from './pretty-log-line.js';

/** Where lines go: `process.stdout`/`stderr`, or anything with `write` (tests). */
export interface LogSink {
  write(line: string): unknown;
}

export interface TierLoggerOptions {
  /** The `service` field of every line. */
  readonly service: string;
  /**
   * `json`: one object per line (`time`, `level`, `service`, `context`, `msg`, then the fields of an
   * object message); `pretty`: the same as short text ({@link prettyLogLine}).
   * @default 'json'
   */
  readonly format?: 'json' | 'pretty';
  /** The Nest levels written; the others are dropped. @default ['log', 'warn', 'error', 'fatal'] */
  readonly levels?: readonly LogLevel[];
  /** Where `verbose` to `warn` lines go. @default process.stdout */
  readonly stdout?: LogSink;
  /** Where `error` and `fatal` lines go. @default process.stderr */
  readonly stderr?: LogSink;
  /**
   * Lines for `stdout` wait up to this long to be written together ({@link BatchedLineSink}); an
   * `error` or `fatal` line first writes them, then goes out at once. 0 writes every line at once.
   * @default 0
   */
  readonly flushMs?: number;
}

const DEFAULT_LEVELS: readonly LogLevel[] = ['log', 'warn', 'error', 'fatal'];
/** A string argument that is a stack trace, not a context (Nest passes `error(message, stack, context)`). */
const STACK = /\n\s+at /;

/**
 * Nest's `LoggerService` for the tiers: one JSON object per line (`LOG_FORMAT=json`, the default)
 * or a short human line (`LOG_FORMAT=pretty`). Object messages are merged into the line, so
 * interceptors log structured events (the `request ended` line); an `Error` gives its message and
 * an `err` object. `error` and `fatal` go to stderr, the rest to stdout.
 *
 * Each line is one `JSON.stringify` in the calling thread, so lines keep their order; with `flushMs`
 * the lines of a few milliseconds share one write. Not pino: for this line V8's serializer is faster
 * than pino's, and pino's destinations either sleep on a full non-blocking pipe (sync) or lose the
 * last lines at a signal exit (async); measured side by side by `npm run bench:logger`
 * (libs/platform/README.md).
 */
export class TierLogger implements LoggerService {
  private readonly service: string;
  private readonly format: 'json' | 'pretty';
  private readonly stdout: LogSink;
  private readonly stderr: LogSink;
  private readonly batch: BatchedLineSink | undefined;
  private enabled: ReadonlySet<LogLevel>;

  constructor(options: TierLoggerOptions) {
    this.service = options.service;
    this.format = options.format ?? 'json';
    this.enabled = new Set(options.levels ?? DEFAULT_LEVELS);
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.batch =
      options.flushMs && options.flushMs > 0
        ? new BatchedLineSink(this.stdout, { flushMs: options.flushMs })
        : undefined;
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

  /** With `flushMs`: writes what is gathered and stops listening to the process's exit and signals. */
  close(): void {
    this.batch?.close();
  }

  /** Resolves once every line logged so far has left the process (call it before `process.exit`). */
  async flush(): Promise<void> {
    this.batch?.flush();
    await Promise.all(
      [this.stdout, this.stderr].filter(isQueued).map(
        (queued) =>
          new Promise<void>((resolve) =>
            queued.write('', () => {
              resolve();
            }),
          ),
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
    const head = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      ...(typeof context === 'string' && { context }),
    };
    const withStack = stack === undefined ? {} : { stack };
    const line: Record<string, unknown> =
      message instanceof Error
        ? {
            ...head,
            msg: message.message,
            err: errorFields(message),
            ...withStack,
          }
        : typeof message === 'object' && message !== null
          ? // The request-end event names its service too: one `service` key, the message's own.
            { ...head, ...message, ...withStack }
          : { ...head, msg: String(message), ...withStack };
    let sink: LogSink;
    if (level === 'error' || level === 'fatal') {
      // The lines before it first, for a reader that merges both streams.
      this.batch?.flush();
      sink = this.stderr;
    } else sink = this.batch ?? this.stdout;
    if (this.format === 'json') {
      sink.write(`${JSON.stringify(line)}\n`);
      return;
    }
    line.context ??= this.service;
    sink.write(`${prettyLogLine(line)}\n`);
  }
}

function errorFields(error: Error): Record<string, unknown> {
  return {
    type: error.name,
    message: error.message,
    stack: error.stack,
  };
}

/** A Node stream (process.stdout) with lines still in its queue. */
function isQueued(
  sink: LogSink,
): sink is NodeJS.WritableStream & { writableLength: number } {
  const { writableLength } = sink as { writableLength?: unknown };
  return typeof writableLength === 'number' && writableLength > 0;
}
