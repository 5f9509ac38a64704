/** One `POST /orders` as the client saw it. */
export interface OrderAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The response body (JSON text), for explaining a failure. */
  readonly body: string;
  /** `Date.now()` when it was sent and when its answer had arrived. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface OrderOptions {
  /** `X-Request-Timeout`, in ms. */
  readonly budgetMs: number;
  /** @default 'latte' */
  readonly sku?: string;
  /** @default 1 */
  readonly quantity?: number;
}

/** Places one order (of one unit, by default) through the gateway with a bearer token. */
export async function placeOrder(
  gatewayUrl: string,
  token: string,
  { budgetMs, sku = 'latte', quantity = 1 }: OrderOptions,
): Promise<OrderAnswer> {
  const startedAt = Date.now();
  const response = await fetch(`${gatewayUrl}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-timeout': String(budgetMs),
    },
    body: JSON.stringify({ sku, quantity }),
  });
  const body = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body,
    startedAt,
    endedAt: Date.now(),
  };
}

/** `place()` called `total` times, `concurrency` at a time; the answers in the order they came. */
export async function placeMany<T>(
  total: number,
  concurrency: number,
  place: () => Promise<T>,
): Promise<T[]> {
  const answers: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) answers.push(await place());
    }),
  );
  return answers;
}
