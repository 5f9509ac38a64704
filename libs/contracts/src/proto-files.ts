import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Options } from '@grpc/proto-loader';

/**
 * The folder holding `proto/*.proto`: `PROTO_DIR` when set, otherwise the nearest `proto/` above
 * this file (the repository's, found from the sources and from any compiled tree).
 */
export function protoDir(): string {
  if (process.env.PROTO_DIR) return resolve(process.env.PROTO_DIR);
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'health.proto')))
      return join(dir, 'proto');
    if (dirname(dir) === dir)
      throw new Error(`no proto/ folder above ${__dirname}; set PROTO_DIR`);
  }
}

export type ProtoName = 'auth' | 'order' | 'inventory' | 'payment' | 'health';

export function protoPath(name: ProtoName): string {
  return join(protoDir(), `${name}.proto`);
}

/** One set of loader options for every server and client, so both sides see the same shapes. */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};
