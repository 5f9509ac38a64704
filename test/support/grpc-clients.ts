import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  INVENTORY,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';

/** A plain grpc-js client for a tier (not the project's wrapper): what any other language's client would be. Plain text unless given credentials. */
export function rawClient(
  contract: ServiceContract,
  url: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): grpc.Client {
  const definition = loadSync(protoPath(contract.proto), PROTO_LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as Record<
    string,
    unknown
  >;
  const ctor = contract.package
    .split('.')
    .reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      root,
    ) as Record<string, grpc.ServiceClientConstructor>;
  return new ctor[contract.service](url, credentials);
}

/** Calls a unary method with grpc-js's own callback API, as a promise. */
export function unary<T>(
  client: grpc.Client,
  method: string,
  request: unknown,
  options: grpc.CallOptions = {},
  metadata = new grpc.Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (...args: unknown[]) => unknown>)[
      method
    ](
      request,
      metadata,
      options,
      (error: grpc.ServiceError | null, reply: T) =>
        error ? reject(error) : resolve(reply),
    );
  });
}

export interface StockLevels {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

export function stockOf(url: string, sku: string): Promise<StockLevels> {
  const client = rawClient(INVENTORY, url);
  return unary<StockLevels>(
    client,
    'getStock',
    { sku },
    { deadline: Date.now() + 2_000 },
  ).finally(() => client.close());
}

/**
 * The stock once no reservation of it is held: earlier orders' follow-ups (their Commits wait up to
 * `INVENTORY_COMMIT_BATCH_MS` to share a statement) have settled, so a count taken now is a baseline.
 */
export function settledStockOf(url: string, sku: string): Promise<StockLevels> {
  return eventually(async () => {
    const stock = await stockOf(url, sku);
    expect(stock.reserved).toBe(0);
    return stock;
  });
}

/** Polls until `check` passes or `timeoutMs` runs out (then rethrows its last failure). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
