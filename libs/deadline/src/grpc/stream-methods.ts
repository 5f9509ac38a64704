import type { StreamKind } from '../core/stream-record.js';

/** What proto-loader's `loadSync` returns, as far as methods go. */
type PackageDefinitionLike = Readonly<Record<string, object>>;

interface MethodLike {
  readonly path?: unknown;
  readonly requestStream?: unknown;
  readonly responseStream?: unknown;
}

const kinds = new Map<string, StreamKind>();

/**
 * Records which methods of the services a server serves stream, and how, from their proto (a
 * `@grpc/proto-loader` package definition). A server call alone cannot tell: grpc-js ≥ 1.14 hands a
 * unary handler the same `ServerWritableStream` a server-streaming one gets.
 */
export function registerStreamMethods(definition: PackageDefinitionLike): void {
  for (const service of Object.values(definition)) {
    if ('format' in service) continue; // a message or enum type
    for (const method of Object.values(service) as MethodLike[]) {
      if (typeof method?.path !== 'string') continue;
      if (method.requestStream === true)
        kinds.set(
          method.path,
          method.responseStream === true ? 'bidi' : 'client',
        );
      else if (method.responseStream === true) kinds.set(method.path, 'server');
    }
  }
}

/** How the method at `path` (`/order.v1.OrderService/WatchOrder`) streams, or `undefined` for a unary one. */
export function streamKindOf(path: string | undefined): StreamKind | undefined {
  return path === undefined ? undefined : kinds.get(path);
}
