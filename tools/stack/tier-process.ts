import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One parsed JSON log line of a tier. */
export type LogEvent = Record<string, unknown> & {
  msg?: string;
  service?: string;
  level?: string;
};

export interface TierProcessOptions {
  readonly name: string;
  readonly script: string;
  readonly env: NodeJS.ProcessEnv;
  /** Every raw output line, e.g. to print it with a prefix. */
  readonly onLine?: (name: string, line: string) => void;
}

interface Waiter {
  readonly match: (event: LogEvent) => boolean;
  readonly resolve: (event: LogEvent) => void;
}

/** A tier running as its own Node process, with its JSON log lines kept for inspection. */
export class TierProcess {
  readonly events: LogEvent[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private waiters = new Set<Waiter>();

  constructor(private readonly options: TierProcessOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** Another process of the same tier, configured alike except for `env` (ports, for one), not started. */
  replica(name: string, env: Record<string, string>): TierProcess {
    return new TierProcess({
      ...this.options,
      name,
      env: { ...this.options.env, ...env },
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined &&
      this.child.exitCode === null &&
      this.child.signalCode === null
    );
  }

  /** Starts the process and resolves once it logs that it is listening. */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, [this.options.script], {
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        this.onLine(line),
      );
    }
    const failed = this.exited.then((code) => {
      throw new Error(
        `${this.name} exited with code ${code} before listening:\n${this.tail()}`,
      );
    });
    await Promise.race([
      this.waitFor((e) => e.msg === 'listening', timeoutMs),
      failed,
    ]);
    failed.catch(() => undefined);
  }

  /** Resolves with the first log event (past or future) that matches, or rejects after `timeoutMs`. */
  waitFor(
    match: (event: LogEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<LogEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${this.name}: no matching log line within ${timeoutMs} ms; last lines:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Waits for the `request ended` log line (past or future) whose fields equal all of `fields`. */
  requestEnded(
    fields: Readonly<Record<string, unknown>>,
    timeoutMs?: number,
  ): Promise<LogEvent> {
    return this.waitFor(
      (e) =>
        e.msg === 'request ended' &&
        Object.entries(fields).every(([key, value]) => e[key] === value),
      timeoutMs,
    );
  }

  /** Log events whose `msg` is `request ended`, optionally for one method. */
  requestsEnded(method?: string): LogEvent[] {
    return this.events.filter(
      (e) =>
        e.msg === 'request ended' &&
        (method === undefined || e.method === method),
    );
  }

  /** Stops the process by its PID (SIGTERM, then SIGKILL after `graceMs`). */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(lines = 20): string {
    return this.events
      .slice(-lines)
      .map((e) => JSON.stringify(e))
      .join('\n');
  }

  private onLine(line: string): void {
    this.options.onLine?.(this.name, line);
    let event: LogEvent;
    try {
      const parsed: unknown = JSON.parse(line);
      event =
        typeof parsed === 'object' && parsed !== null
          ? (parsed as LogEvent)
          : { msg: line };
    } catch {
      event = { msg: line, level: 'raw' };
    }
    this.events.push(event);
    for (const waiter of this.waiters) {
      if (waiter.match(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }
}
