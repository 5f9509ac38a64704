import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Options } from '@grpc/proto-loader';

/**
 * The folder holding `proto/*.proto`: `PROTO_DIR` when set, otherwise the repository's `proto/`
 * (found from both the sources and the compiled `dist/` tree).
 */
export function protoDir(): string {
  if (process.env.PROTO_DIR) return resolve(process.env.PROTO_DIR);
  const candidates = [resolve(__dirname, '../../../proto'), resolve(__dirname, '../../../../proto')];
  return candidates.find((dir) => existsSync(join(dir, 'health.proto'))) ?? candidates[0];
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
