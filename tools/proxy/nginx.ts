import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../stack/stack.js';
import { TempDirProxy } from './proxy-process.js';
import { replaceOnce } from './replace-once.js';

export interface NginxOptions {
  /** Loopback port nginx listens on. */
  readonly port: number;
  /** host:port of the gateway. */
  readonly gateway: string;
  /** @default 'nginx' (Debian's /usr/sbin/nginx) */
  readonly binary?: string;
}

/** The production config (deploy/nginx/deadline-relay.conf) with only its address, upstream and log path moved. */
export function renderNginxSite(
  options: Pick<NginxOptions, 'port' | 'gateway'>,
  logDir: string,
): string {
  const site = readFileSync(
    join(repoRoot(), 'deploy/nginx/deadline-relay.conf'),
    'utf8',
  );
  return replaceOnce(
    replaceOnce(
      replaceOnce(site, 'listen 8080;', `listen 127.0.0.1:${options.port};`),
      'server gateway:3000;',
      `server ${options.gateway};`,
    ),
    'access_log /var/log/nginx/access.log',
    `access_log ${join(logDir, 'access.log')}`,
  );
}

/** A real nginx in the foreground with every path in a temp dir (no root-only paths), stopped by PID. */
export class Nginx extends TempDirProxy {
  static async start(options: NginxOptions): Promise<Nginx> {
    const { proxy, dir } = await TempDirProxy.launch('nginx', (dir) => {
      for (const sub of [
        'logs',
        'client_body',
        'proxy',
        'fastcgi',
        'uwsgi',
        'scgi',
      ])
        mkdirSync(join(dir, sub));
      writeFileSync(
        join(dir, 'deadline-relay.conf'),
        renderNginxSite(options, join(dir, 'logs')),
      );
      writeFileSync(join(dir, 'nginx.conf'), topLevelConfig(dir));
      return {
        command: options.binary ?? 'nginx',
        args: ['-p', dir, '-c', join(dir, 'nginx.conf')],
        port: options.port,
      };
    });
    return new Nginx(proxy, dir);
  }

  errorLog(): string {
    return readFileSync(join(this.dir, 'logs', 'error.log'), 'utf8');
  }

  accessLog(): string {
    return readFileSync(join(this.dir, 'logs', 'access.log'), 'utf8');
  }
}

/** nginx's top level, with every path it writes in `dir` (no root-only paths). */
function topLevelConfig(dir: string): string {
  return [
    // Workers run as this user; as root, nginx would switch them to `nobody`, who cannot write the temp dir.
    process.getuid?.() === 0 ? 'user root;' : '',
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    // `info` is where nginx reports the headers it drops (underscores).
    `error_log ${join(dir, 'logs', 'error.log')} info;`,
    'events { worker_connections 256; }',
    'http {',
    `  client_body_temp_path ${join(dir, 'client_body')};`,
    `  proxy_temp_path ${join(dir, 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'scgi')};`,
    `  include ${join(dir, 'deadline-relay.conf')};`,
    '}',
    '',
  ].join('\n');
}
