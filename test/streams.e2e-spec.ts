import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import request from 'supertest';
import {
  INVENTORY,
  type InventoryStreams,
  type ReserveRequest,
} from '@lib/contracts';
import {
  CancelledError,
  createStreamClient,
  Deadline,
  DownstreamError,
  failureOf,
  GrpcStatus,
  runWithDeadline,
  type StreamClient,
} from '@lib/deadline';
import { Stack } from '../tools/stack/index.js';
import { rawClient, stockOf } from './support/grpc-clients.js';
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

const INVENTORY_LATENCY_MS = 300;

describe('event streams through the five tiers', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: {
        // Quick re-reads, so a change is seen even without this replica's own signal.
        order: { ORDER_WATCH_POLL_MS: '200' },
        // Slow storage before each write, so a ReserveBatch can be cancelled while it works.
        inventory: { INVENTORY_LATENCY_MS: String(INVENTORY_LATENCY_MS) },
      },
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

  describe('ReserveBatch, a client stream into the inventory tier', () => {
    let raw: ReturnType<typeof rawClient>;
    let inventory: StreamClient<InventoryStreams>;

    beforeAll(() => {
      raw = rawClient(INVENTORY, stack.grpcUrl('inventory'));
      // The library's stream client, as a calling tier gets it from @InjectGrpcStreams.
      inventory = createStreamClient<InventoryStreams>(raw, {
        service: 'inventory',
        reserveMs: 10,
      });
    });

    afterAll(() => raw.close());

    async function* linesOf(
      lines: readonly ReserveRequest[],
    ): AsyncGenerator<ReserveRequest> {
      for (const line of lines) {
        yield line;
        // One message at a time, so each is taken (and checked) on its own.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const batchId = (): string => `batch-${randomUUID()}`;
    const served = (predicate: (e: Record<string, unknown>) => boolean) =>
      stack
        .tier('inventory')
        .waitFor(
          (e) =>
            e.msg === 'stream ended' &&
            e.method === 'ReserveBatch' &&
            predicate(e),
        );
    const shelf = async (sku: string) => {
      const { available, reserved } = await stockOf(
        stack.grpcUrl('inventory'),
        sku,
      );
      return { available, reserved };
    };

    it('holds every line in one go under the caller’s deadline, checking each line under it as it arrives', async () => {
      const id = batchId();
      const before = {
        espresso: await shelf('espresso'),
        grinder: await shelf('grinder'),
      };
      const deadline = Deadline.after(3_000);
      const summary = await runWithDeadline(deadline, () =>
        inventory.reserveBatch(
          linesOf([
            { orderId: `${id}-1`, sku: 'espresso', quantity: 2 },
            { orderId: `${id}-2`, sku: 'grinder', quantity: 1 },
          ]),
        ),
      ).finally(() => deadline.dispose());

      expect(summary).toMatchObject({
        units: 3,
        amountCents: 2 * 350 + 129_900,
        reservations: [
          {
            orderId: `${id}-1`,
            sku: 'espresso',
            quantity: 2,
            state: 'reserved',
          },
          {
            orderId: `${id}-2`,
            sku: 'grinder',
            quantity: 1,
            state: 'reserved',
          },
        ],
      });
      expect(await shelf('espresso')).toEqual({
        available: before.espresso.available - 2,
        reserved: before.espresso.reserved + 2,
      });
      expect(await shelf('grinder')).toEqual({
        available: before.grinder.available - 1,
        reserved: before.grinder.reserved + 1,
      });
      // Inventory served it as one stream under the forwarded budget; its per-line sku reads ran under
      // that deadline too (the stack is strict: a query with none in scope would have failed the batch).
      const record = await served((e) => e.end === 'completed');
      expect(record).toMatchObject({ side: 'server', kind: 'client' });
      expect(record.budgetMs as number).toBeLessThanOrEqual(2_990);
      expect(record.budgetMs as number).toBeGreaterThan(2_000);
    }, 30_000);

    it('holds nothing for any line when one is refused', async () => {
      const id = batchId();
      const before = await shelf('espresso');
      const deadline = Deadline.after(3_000);
      const error = await runWithDeadline(deadline, () =>
        inventory.reserveBatch(
          linesOf([
            { orderId: `${id}-1`, sku: 'espresso', quantity: 1 },
            { orderId: `${id}-2`, sku: 'espresso', quantity: 1_000_000 },
          ]),
        ),
      )
        .catch((e: unknown) => e)
        .finally(() => deadline.dispose());
      expect(DownstreamError.is(error) && error.code).toBe(
        GrpcStatus.FAILED_PRECONDITION,
      );
      expect((error as Error).message).toContain('not enough espresso');
      expect(await shelf('espresso')).toEqual(before);
    }, 30_000);

    it('holds nothing when the deadline passes before the write', async () => {
      const before = await shelf('espresso');
      // Less than the tier's storage latency: the deadline aborts the work before it writes.
      const deadline = Deadline.after(INVENTORY_LATENCY_MS - 50);
      const error = await runWithDeadline(deadline, () =>
        inventory.reserveBatch(
          linesOf([{ orderId: batchId(), sku: 'espresso', quantity: 1 }]),
        ),
      ).catch((e: unknown) => e);
      deadline.dispose();
      expect(failedWith(error)).toBe('deadline_exceeded');
      const record = await served(
        (e) => (e.budgetMs as number) < INVENTORY_LATENCY_MS,
      );
      expect(['deadline_exceeded', 'cancelled']).toContain(record.end);
      expect(await shelf('espresso')).toEqual(before);
    }, 30_000);

    it('stops inventory’s work and holds nothing when the caller cancels', async () => {
      const before = await shelf('espresso');
      const deadline = Deadline.after(10_000);
      const caller = new AbortController();
      async function* thenCancel(): AsyncGenerator<ReserveRequest> {
        yield { orderId: batchId(), sku: 'espresso', quantity: 1 };
        // Every line is sent; inventory is now in its slow write when the caller leaves.
        setTimeout(
          () => caller.abort(new CancelledError('the caller left')),
          INVENTORY_LATENCY_MS / 3,
        );
      }
      const error = await runWithDeadline(deadline, () =>
        inventory.reserveBatch(thenCancel(), { signal: caller.signal }),
      )
        .catch((e: unknown) => e)
        .finally(() => deadline.dispose());
      expect(failedWith(error)).toBe('cancelled');
      const record = await served(
        (e) => e.end === 'cancelled' && (e.budgetMs as number) > 9_000,
      );
      expect(record).toMatchObject({ side: 'server', kind: 'client' });
      // Past the point where the write would have landed, had the work gone on: nothing is held.
      await new Promise((resolve) =>
        setTimeout(resolve, 2 * INVENTORY_LATENCY_MS),
      );
      expect(await shelf('espresso')).toEqual(before);
    }, 30_000);
  });
});

/** The failure's kind as the library decided it (deadline_exceeded, cancelled, …). */
function failedWith(error: unknown): string {
  return failureOf(error).outcome;
}
