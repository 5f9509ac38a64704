import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../stack/stack.js';
import { replaceOnce } from './replace-once.js';
import { TempDirProxy } from './proxy-process.js';

export interface HaproxyOptions {
  /** Loopback port HAProxy listens on. */
  readonly port: number;
  /** host:port of the gateway. */
  readonly gateway: string;
  /** @default 'haproxy' (Debian's /usr/sbin/haproxy) */
  readonly binary?: string;
}

/** The production config (deploy/haproxy/haproxy.cfg) with only its address, server and error files moved. */
export function renderHaproxyConfig(
  options: Pick<HaproxyOptions, 'port' | 'gateway'>,
): string {
  const deploy = join(repoRoot(), 'deploy/haproxy');
  let cfg = readFileSync(join(deploy, 'haproxy.cfg'), 'utf8');
  cfg = replaceOnce(cfg, 'bind :8080', `bind 127.0.0.1:${options.port}`);
  cfg = replaceOnce(
    cfg,
    'server gateway gateway:3000',
    `server gateway ${options.gateway}`,
  );
  cfg = replaceOnce(
    cfg,
    '/usr/local/etc/haproxy/errors/504.http',
    join(deploy, 'errors/504.http'),
  );
  return replaceOnce(
    cfg,
    '/usr/local/etc/haproxy/errors/503.http',
    join(deploy, 'errors/503.http'),
  );
}

/** A real HAProxy in the foreground (-db), logging to stdout, stopped by PID. */
export class Haproxy extends TempDirProxy {
  static async start(options: HaproxyOptions): Promise<Haproxy> {
    const { proxy, dir } = await TempDirProxy.launch('haproxy', (dir) => {
      const cfg = join(dir, 'haproxy.cfg');
      writeFileSync(cfg, renderHaproxyConfig(options));
      return {
        command: options.binary ?? 'haproxy',
        args: ['-db', '-f', cfg],
        port: options.port,
      };
    });
    return new Haproxy(proxy, dir);
  }

  /** HAProxy's log lines (stdout) and warnings (stderr). */
  get lines(): readonly string[] {
    return this.proxy.lines;
  }
}
