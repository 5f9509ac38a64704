import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import { INVENTORY } from '@lib/contracts';
import { Stack } from '../tools/stack/index.js';
import {
  eventually,
  rawClient,
  stockOf,
  unary,
} from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';
import { callerTrace } from './support/trace-context.js';

interface Hop {
  service: string;
  method: string;
  receivedBudgetMs: number | null;
  spentMs: number;
  forwardedBudgetMs: number | null;
  outcome: string;
}

describe('deadline propagation across the five tiers', () => {
  let stack: Stack;
  let token: string;
  const order = (
    budget?: string | string[],
    body: unknown = { sku: 'espresso', quantity: 1 },
  ) => {
    const req = request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`);
    // superagent writes an array as repeated header lines (its typings only admit it for Cookie).
    if (budget !== undefined) req.set('x-request-timeout', budget as string);
    return req.send(body as object);
  };

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: { inventory: { INVENTORY_SEED_STOCK: '100' } },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives every tier strictly less budget than its caller, and returns the record', async () => {
    const response = await order('2000').expect(201);
    const hops = response.body.deadline.hops as Hop[];
    expect(hops.map((h) => `${h.service}.${h.method}`)).toEqual([
      'gateway.POST /orders',
      'auth.VerifyToken',
      'order.PlaceOrder',
      'inventory.Reserve',
      'payment.Charge',
    ]);
    expect(hops[0].receivedBudgetMs).toBe(2000);
    const received = hops.map((h) => h.receivedBudgetMs!);
    for (let i = 1; i < received.length; i++)
      expect(received[i]).toBeLessThan(received[i - 1]);
    // Each forwarded budget leaves at least the reserve behind (5 ms by default).
    expect(hops[0].forwardedBudgetMs!).toBeLessThanOrEqual(2000 - 5);
    expect(response.body.order).toMatchObject({
      status: 'confirmed',
      sku: 'espresso',
      quantity: 1,
      amountCents: 350,
    });
    expect(response.headers['server-timing']).toMatch(
      /^0-gateway;dur=[\d.]+;desc="POST \/orders received 2000ms forwarded \d+ms ok", 1-auth;/,
    );
    expect(response.headers['server-timing'].split(', ')).toHaveLength(5);
  });

  it('logs one "request ended" line per tier, each with the budget it received and no abort', async () => {
    const response = await order('1500').expect(201);
    const [, , placed] = response.body.deadline.hops as Hop[];
    const line = await stack.tier('order').requestEnded({
      method: 'PlaceOrder',
      receivedBudgetMs: placed.receivedBudgetMs,
    });
    expect(line).toMatchObject({ outcome: 'ok', aborted: false, hop: 1 });
  });

  it("with nothing exported (the default: no spans recorded), still carries one trace through the five tiers' log lines", async () => {
    // A caller's sampled trace is continued (not recorded: nothing is exported by default)…
    const { traceId, traceparent } = callerTrace();
    await order('2000').set('traceparent', traceparent).expect(201);
    for (const tier of [
      'gateway',
      'auth',
      'order',
      'inventory',
      'payment',
    ] as const) {
      await stack.tier(tier).requestEnded({ traceId });
    }
    // …and without one the edge starts a trace of its own, which reaches the last tier.
    await order('2345').expect(201);
    const edge = await stack
      .tier('gateway')
      .requestEnded({ method: 'POST /orders', receivedBudgetMs: 2345 });
    expect(edge.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    await stack.tier('payment').requestEnded({ traceId: edge.traceId });
  });

  it.each([
    ['abc', 400, 'invalid_timeout'],
    ['-1', 400, 'invalid_timeout'],
    ['1e309', 400, 'invalid_timeout'],
    ['5000ms', 400, 'invalid_timeout'],
    ['', 400, 'invalid_timeout'],
    [['100', '200'], 400, 'invalid_timeout'],
    ['0', 504, 'deadline_exceeded'],
    ['5', 504, 'deadline_exceeded'],
  ])(
    'answers X-Request-Timeout %j with %d (%s) without calling any tier',
    async (budget, status, error) => {
      const before = stack.tier('auth').requestsEnded('VerifyToken').length;
      const response = await order(budget).expect(status);
      expect(response.body).toMatchObject({ statusCode: status, error });
      if (status === 400)
        expect(response.body).toMatchObject({ field: 'x-request-timeout' });
      expect(stack.tier('auth').requestsEnded('VerifyToken').length).toBe(
        before,
      );
    },
  );

  it('says why when the header is sent twice', async () => {
    const response = await order(['100', '200']).expect(400);
    expect(response.body.message).toBe(
      'invalid x-request-timeout: sent 2 times; send it once',
    );
  });

  it('clamps a budget above the maximum to the maximum', async () => {
    const response = await order('99999999999999').expect(201);
    expect(response.body.deadline.budgetMs).toBe(30_000);
  });

  it('takes the smallest of header and ?timeout, and refuses a malformed ?timeout', async () => {
    const response = await request(stack.gatewayUrl)
      .post('/orders?timeout=1500')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '2500')
      .send({ sku: 'espresso', quantity: 1 })
      .expect(201);
    expect(response.body.deadline.budgetMs).toBe(1500);
    const bad = await request(stack.gatewayUrl)
      .post('/orders?timeout=soon')
      .set('authorization', `Bearer ${token}`)
      .send({ sku: 'espresso', quantity: 1 })
      .expect(400);
    expect(bad.body).toMatchObject({
      error: 'invalid_timeout',
      field: '?timeout',
    });
  });

  it.each([
    [{ sku: 'espresso', quantity: 0 }, 'quantity'],
    [{ sku: 'espresso', quantity: 1.5 }, 'quantity'],
    [{ sku: 'espresso', quantity: '1' }, 'quantity'],
    [{ quantity: 1 }, 'sku'],
    [{ sku: 'a b', quantity: 1 }, 'sku'],
    [[1, 2], 'body'],
  ])('answers a bad body %j with 400 naming the field', async (body, field) => {
    const response = await order('2000', body).expect(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      error: 'invalid_body',
      field,
    });
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send('{"sku":')
      .expect(400);
    expect(response.body.statusCode).toBe(400);
  });

  it('answers business outcomes with their mapped status: unknown SKU 404, out of stock 409, declined 409', async () => {
    expect(
      (await order('2000', { sku: 'unicorn', quantity: 1 }).expect(404)).body,
    ).toMatchObject({ error: 'unknown_sku' });
    expect(
      (await order('2000', { sku: 'latte', quantity: 101 }).expect(409)).body,
    ).toMatchObject({
      error: 'out_of_stock',
      message: 'not enough latte in stock for 101',
    });
    expect(
      (await order('2000', { sku: 'grinder', quantity: 1 }).expect(409)).body,
    ).toMatchObject({
      error: 'payment_declined',
      message: 'card declined for 129900 cents',
    });
    // The declined order's reservation went back on the shelf.
    await eventually(async () =>
      expect(
        await stockOf(stack.grpcUrl('inventory'), 'grinder'),
      ).toMatchObject({ reserved: 0, sold: 0 }),
    );
  });

  it.each([
    [undefined, 'unauthenticated'],
    ['Basic abc', 'unauthenticated'],
    ['Bearer not.a.jwt', 'invalid_token'],
  ])('answers Authorization %j with 401', async (authorization, error) => {
    const req = request(stack.gatewayUrl)
      .post('/orders')
      .set('x-request-timeout', '2000');
    if (authorization) req.set('authorization', authorization);
    expect(
      (await req.send({ sku: 'espresso', quantity: 1 }).expect(401)).body,
    ).toMatchObject({ statusCode: 401, error });
  });

  it('answers an expired token with 401', async () => {
    const expired = issueToken('e2e-user', -60);
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${expired}`)
      .send({ sku: 'espresso', quantity: 1 })
      .expect(401);
    expect(response.body).toMatchObject({
      error: 'invalid_token',
      message: 'token expired',
    });
  });

  it('serves a raw grpc-js client: a tiny deadline gets DEADLINE_EXCEEDED, no deadline still works', async () => {
    const inventory = rawClient(INVENTORY, stack.grpcUrl('inventory'));
    try {
      await expect(
        unary(
          inventory,
          'getStock',
          { sku: 'espresso' },
          { deadline: Date.now() + 1 },
        ),
      ).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      await expect(
        unary(inventory, 'getStock', { sku: 'espresso' }),
      ).resolves.toMatchObject({ sku: 'espresso' });
      const line = await stack
        .tier('inventory')
        .requestEnded({ method: 'GetStock', receivedBudgetMs: null });
      expect(line).toMatchObject({ outcome: 'ok' });
    } finally {
      inventory.close();
    }
  });

  it('refuses a call that arrives already expired without running the handler', async () => {
    const inventory = rawClient(INVENTORY, stack.grpcUrl('inventory'));
    // A sidecar header of 0 ms makes the call expired on arrival, whatever grpc-timeout says.
    const metadata = new grpc.Metadata();
    metadata.set('x-envoy-expected-rq-timeout-ms', '0');
    try {
      await expect(
        unary(
          inventory,
          'reserve',
          { orderId: 'expired-on-arrival', sku: 'espresso', quantity: 1 },
          { deadline: Date.now() + 5_000 },
          metadata,
        ),
      ).rejects.toMatchObject({
        code: grpc.status.DEADLINE_EXCEEDED,
      });
      const line = await stack
        .tier('inventory')
        .requestEnded({ method: 'Reserve', receivedBudgetMs: 0 });
      expect(line.reason).toMatch(/^expired on arrival/);
      expect(
        await stockOf(stack.grpcUrl('inventory'), 'espresso'),
      ).toMatchObject({ reserved: 0 });
    } finally {
      inventory.close();
    }
  });

  it('never aborts a call’s signal after it finished successfully (grpc-js emits "cancelled" after success)', async () => {
    await order('2000').expect(201);
    await new Promise((r) => setTimeout(r, 200)); // let any late 'cancelled' events arrive
    for (const tier of ['auth', 'order', 'inventory', 'payment'] as const) {
      const ok = stack
        .tier(tier)
        .requestsEnded()
        .filter((e) => e.outcome === 'ok');
      expect(ok.length).toBeGreaterThan(0);
      expect(ok.filter((e) => e.aborted)).toEqual([]);
    }
  });

  it('stays healthy after all of the above', async () => {
    const health = await request(stack.gatewayUrl).get('/health').expect(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      downstream: { auth: 'SERVING', order: 'SERVING' },
      details: {
        breakers: { auth: { state: 'closed' }, order: { state: 'closed' } },
      },
    });
  });

  it('answers 503 quickly, not after the budget, when auth is down', async () => {
    await stack.tier('auth').stop();
    const started = Date.now();
    const response = await order('10000').expect(503);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(response.body).toMatchObject({
      statusCode: 503,
      error: 'unavailable',
    });
    expect(response.body.message).toMatch(
      /^auth\.VerifyToken failed: UNAVAILABLE/,
    );
    await request(stack.gatewayUrl).get('/health').expect(503);
  });
});
