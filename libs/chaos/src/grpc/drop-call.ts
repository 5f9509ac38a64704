import { constants } from 'node:http2';

interface ResettableStream {
  readonly destroyed: boolean;
  close(code: number): void;
}

/**
 * Resets the HTTP/2 stream under a grpc-js server call with `REFUSED_STREAM`, so the caller sees
 * the call dropped (grpc-js reports `UNAVAILABLE`) and no answer. grpc-js does not expose the
 * stream, so this walks its call wrappers (`call` / `nextCall`) to find it; `false` when it
 * cannot, and the caller answers UNAVAILABLE instead.
 */
export function dropCall(serverCall: unknown): boolean {
  let node: unknown = serverCall;
  for (let depth = 0; depth < 8 && node && typeof node === 'object'; depth++) {
    const stream = (node as { stream?: unknown }).stream;
    if (isStream(stream)) {
      if (!stream.destroyed) stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return true;
    }
    const next = node as { call?: unknown; nextCall?: unknown };
    node = next.nextCall ?? next.call;
  }
  return false;
}

function isStream(value: unknown): value is ResettableStream {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { close?: unknown }).close === 'function' &&
    'destroyed' in value &&
    'rstCode' in value
  );
}
