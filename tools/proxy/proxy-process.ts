import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ProxyProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Loopback port the proxy listens on; start() resolves once it accepts connections. */
  readonly port: number;
}

/** A real proxy binary run as this process's child, stopped by its PID. */
export class ProxyProcess {
  readonly lines: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProxyProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    const child = spawn(this.options.command, [...this.options.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    child.once('error', (error) =>
      this.lines.push(`spawn failed: ${error.message}`),
    );
    for (const stream of [child.stdout, child.stderr])
      createInterface({ input: stream }).on('line', (line) =>
        this.lines.push(line),
      );
    const until = Date.now() + timeoutMs;
    while (!(await accepts(this.options.port))) {
      if (exitCode !== undefined)
        throw new Error(
          `${this.options.name} exited (${exitCode}) before listening:\n${this.lines.join('\n')}`,
        );
      if (Date.now() > until) {
        await this.stop();
        throw new Error(
          `${this.options.name} not listening on ${this.options.port} within ${timeoutMs} ms:\n${this.lines.join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM by PID (nginx: fast shutdown; HAProxy: hard stop), SIGKILL if it lingers. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A proxy run from a temp dir of its own (config, logs, pid file), removed when it stops. */
export abstract class TempDirProxy {
  protected constructor(
    protected readonly proxy: ProxyProcess,
    readonly dir: string,
  ) {}

  /** Makes the dir, lets `prepare` write into it and say how to run the proxy, starts it; leaves nothing behind if any of that fails. */
  protected static async launch(
    name: string,
    prepare: (dir: string) => Omit<ProxyProcessOptions, 'name'>,
  ): Promise<{ proxy: ProxyProcess; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), `deadline-relay-${name}-`));
    try {
      const proxy = new ProxyProcess({ name, ...prepare(dir) });
      await proxy.start();
      return { proxy, dir };
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get url(): string {
    return this.proxy.url;
  }

  get pid(): number | undefined {
    return this.proxy.pid;
  }

  async stop(): Promise<void> {
    await this.proxy.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
