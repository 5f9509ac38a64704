// The logger libs/platform had before pino (TierLogger), unchanged, kept only so that
// `npm run bench:logger` can compare the two in one run.
import type { LoggerService, LogLevel } from '@nestjs/common';

/**
 * Nest logger writing one JSON object per line (`LOG_FORMAT=json`, the default) or a short human
 * line (`LOG_FORMAT=pretty`). Object messages are merged into the line, so interceptors can log
 * structured events.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly format: 'json' | 'pretty' = 'json',
    private readonly levels: ReadonlySet<LogLevel> = new Set<LogLevel>([
      'log',
      'warn',
      'error',
      'fatal',
    ]),
  ) {}

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

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.levels.has(level)) return;
    // Nest passes the context as the last string argument.
    const context =
      typeof rest[rest.length - 1] === 'string'
        ? (rest[rest.length - 1] as string)
        : undefined;
    const fields =
      typeof message === 'object' && message !== null
        ? (message as Record<string, unknown>)
        : { msg: String(message) };
    const stream =
      level === 'error' || level === 'fatal' ? process.stderr : process.stdout;
    if (this.format === 'pretty') {
      const { msg, ...extra } = fields;
      const tail = Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : '';
      stream.write(
        `${level.toUpperCase().padEnd(5)} [${context ?? this.service}] ${typeof msg === 'string' ? msg : JSON.stringify(msg ?? '')}${tail}\n`,
      );
      return;
    }
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, service: this.service, context, ...fields })}\n`,
    );
  }
}
