import * as http from 'node:http';
import request from 'supertest';
import { Stack } from '../tools/stack/index.js';
import { sample } from './support/prometheus.js';
import { issueToken } from './support/tokens.js';

interface SseMessage {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly retry?: number;
  readonly id?: string;
}

/** An EventSource's view of one response: its status, headers and events as they arrive. */
class SseClient {
  readonly messages: SseMessage[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  body = '';
  readonly ended: Promise<void>;
  private readonly request: http.ClientRequest;
  private waiters: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string>) {
    let resolveEnded: () => void = () => undefined;
    this.ended = new Promise((resolve) => (resolveEnded = resolve));
    this.request = http.get(url, { headers }, (response) => {
      this.status = response.statusCode ?? 0;
      this.headers = response.headers;
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        this.body += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
        }
      });
      response.on('end', resolveEnded);
      response.on('close', resolveEnded);
    });
    this.request.on('error', resolveEnded);
  }

  /** Resolves once `count` events arrived. */
  async next(count: number): Promise<void> {
    while (this.messages.length < count)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hangs up, as a browser tab that closes. */
  close(): void {
    this.request.destroy();
  }

  private parse(block: string): void {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    if (!fields.has('data')) return;
    this.messages.push({
      event: fields.get('event') ?? 'message',
      data: JSON.parse(fields.get('data')!) as Record<string, unknown>,
      ...(fields.has('retry') ? { retry: Number(fields.get('retry')) } : {}),
      ...(fields.has('id') ? { id: fields.get('id') } : {}),
    });
    for (const wake of this.waiters.splice(0)) wake();
  }
}

describe('event streams through the five tiers', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    // Quick re-reads, so a change is seen even without this replica's own signal.
    stack = await Stack.start({
      tierEnv: { order: { ORDER_WATCH_POLL_MS: '200' } },
    });
    token = issueToken();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function placeOrder(): Promise<string> {
    const placed = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .send({ sku: 'latte', quantity: 1 })
      .expect(201);
    return (placed.body as { order: { id: string } }).order.id;
  }

  const events = (orderId: string, headers: Record<string, string> = {}) =>
    new SseClient(`${stack.gatewayUrl}/orders/${orderId}/events`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });

  it('sends the order’s state, then its changes, and ends at the stream’s budget with a reconnect event', async () => {
    const orderId = await placeOrder();
    const started = Date.now();
    const sse = events(orderId, { 'x-request-timeout': '1500' });
    await sse.ended;
    const tookMs = Date.now() - started;

    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe(
      'text/event-stream; charset=utf-8',
    );
    const orders = sse.messages.filter((m) => m.event === 'order');
    expect(orders[0].data).toMatchObject({ orderId, status: 'confirmed' });
    // The saga's last step (inventory committed) arrives as a change, unless it landed before the watch began.
    expect(orders.at(-1)!.data).toMatchObject({
      status: 'confirmed',
      settled: true,
    });
    const last = sse.messages.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      statusCode: 504,
      error: 'deadline_exceeded',
      reconnect: true,
    });
    expect(last.retry).toBe(1_000);
    expect(tookMs).toBeGreaterThanOrEqual(1_400);
    expect(tookMs).toBeLessThan(3_500);
    // The order tier served it as one stream under the forwarded budget.
    const served = await stack
      .tier('order')
      .waitFor((e) => e.msg === 'stream ended' && e.method === 'WatchOrder');
    // Its own deadline, or the gateway's cancel at the same moment (the gateway's grpc-js timer fires first).
    expect(served).toMatchObject({ side: 'server' });
    expect(['deadline_exceeded', 'cancelled']).toContain(served.end);
    expect(served.budgetMs as number).toBeLessThan(1_500);
    expect(served.messages as number).toBeGreaterThanOrEqual(1);
    // The ContextTracer keeps the stream as one request, with its first-event mark.
    const { body: list } = await request(stack.gatewayUrl)
      .get('/_tracer/requests')
      .expect(200);
    const traced = (
      list as { requests: { id: number; method: string }[] }
    ).requests.find((r) => r.method === 'GET /orders/:id/events');
    const { body: detail } = await request(stack.gatewayUrl)
      .get(`/_tracer/requests/${traced!.id}`)
      .expect(200);
    expect(detail).toMatchObject({
      outcome: 'deadline_exceeded',
      stream: { end: 'deadline_exceeded', messages: orders.length },
    });
    expect(detail.stream.firstMessageMs).toBeGreaterThan(0);
    expect(detail.stream.firstMessageMs).toBeLessThan(1_000);
  }, 30_000);

  it('answers a stream that cannot start as an ordinary request: 401 without a token, 404 for another’s order, 400 for a bad budget', async () => {
    const orderId = await placeOrder();
    const noToken = await request(stack.gatewayUrl)
      .get(`/orders/${orderId}/events`)
      .expect(401);
    expect(noToken.body).toMatchObject({ error: 'unauthenticated' });
    const someoneElse = await request(stack.gatewayUrl)
      .get(`/orders/${orderId}/events`)
      .set('authorization', `Bearer ${issueToken('someone-else')}`)
      .expect(404);
    expect(someoneElse.body).toMatchObject({ error: 'not_found' });
    const badBudget = await request(stack.gatewayUrl)
      .get(`/orders/${orderId}/events`)
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '2s')
      .expect(400);
    expect(badBudget.body).toMatchObject({
      error: 'invalid_timeout',
      field: 'x-request-timeout',
    });
  }, 30_000);

  it('cancels the gRPC stream and the order tier’s work when the SSE client hangs up', async () => {
    const orderId = await placeOrder();
    const sse = events(orderId, { 'x-request-timeout': '60000' });
    await sse.next(1);
    expect(
      sample(
        await (await fetch(`${stack.adminUrl('order')}/metrics`)).text(),
        'streams_open',
        { side: 'server' },
      ),
    ).toBe(1);
    const hungUpAt = Date.now();
    sse.close();
    const gateway = await stack
      .tier('gateway')
      .waitFor(
        (e) =>
          e.msg === 'stream ended' &&
          e.side === 'server' &&
          (e.messages as number) >= 1 &&
          (e.budgetMs as number) === 60_000,
      );
    expect(gateway, JSON.stringify(gateway)).toMatchObject({
      end: 'cancelled',
    });
    const order = await stack
      .tier('order')
      .waitFor(
        (e) =>
          e.msg === 'stream ended' &&
          e.method === 'WatchOrder' &&
          (e.messages as number) >= 1 &&
          (e.budgetMs as number) > 50_000,
      );
    expect(order).toMatchObject({ side: 'server', end: 'cancelled' });
    expect(Date.now() - hungUpAt).toBeLessThan(5_000);
    // No tier holds a stream any more: the gateway's SSE response and its gRPC stream, order's served one.
    const open = async (url: string, side: string) =>
      sample(await (await fetch(`${url}/metrics`)).text(), 'streams_open', {
        side,
      });
    await vi.waitFor(async () => {
      expect(await open(stack.gatewayUrl, 'server')).toBe(0);
      expect(await open(stack.gatewayUrl, 'client')).toBe(0);
      expect(await open(stack.adminUrl('order'), 'server')).toBe(0);
    });
    expect(
      sample(
        await (await fetch(`${stack.adminUrl('order')}/metrics`)).text(),
        'streams_total',
        { method: 'WatchOrder', side: 'server', end: 'cancelled' },
      ),
    ).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('ends open streams on SIGTERM of the order tier with UNAVAILABLE and a reconnect event', async () => {
    const orderId = await placeOrder();
    const sse = events(orderId, { 'x-request-timeout': '60000' });
    await sse.next(1);
    const stopping = Date.now();
    await stack.tier('order').stop();
    await sse.ended;
    const last = sse.messages.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      statusCode: 503,
      error: 'unavailable',
      reconnect: true,
    });
    expect(last.retry).toBe(1_000);
    // The drain did not wait for the watch: it ended at once.
    expect(Date.now() - stopping).toBeLessThan(4_000);
  }, 30_000);
});
