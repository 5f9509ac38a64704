import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import {
  createDeadlineClient,
  Deadline,
  observeClient,
  runWithDeadline,
} from '@lib/deadline';
import { PAYMENT, type PaymentService } from '@lib/contracts';
import { Stack } from '../tools/stack/index.js';
import {
  eventually,
  rawClient,
  stockOf,
  unary,
} from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// Payment takes 1.5 s here: long enough that every request below is still in flight at payment
// when its deadline passes or its caller leaves.
const PAYMENT_LATENCY_MS = 1_500;

describe('cancellation reaches the last tier', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: {
        payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 504 at the budget, aborts payment’s work, and releases the reservation', async () => {
    const started = Date.now();
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '300')
      .send({ sku: 'latte', quantity: 2 })
      .expect(504);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(PAYMENT_LATENCY_MS - 300);
    expect(response.body).toMatchObject({
      statusCode: 504,
      error: 'deadline_exceeded',
    });
    expect(response.body.message).toMatch(
      /^order\.PlaceOrder failed: DEADLINE_EXCEEDED/,
    );
    expect(response.headers['server-timing']).toMatch(
      /^0-gateway;dur=[\d.]+;desc="POST \/orders received 300ms/,
    );
    // The chain stays complete even though the callee could not answer in time: the caller records what it saw.
    const hops = response.body.hops as { service: string; outcome: string }[];
    expect(hops[0]).toMatchObject({
      service: 'gateway',
      outcome: 'deadline_exceeded',
    });
    expect(hops.find((h) => h.service === 'order')).toMatchObject({
      outcome: 'deadline_exceeded',
    });

    const charge = await stack
      .tier('payment')
      .requestEnded({ method: 'Charge' });
    expect(charge).toMatchObject({ aborted: true });
    expect(['deadline_exceeded', 'cancelled']).toContain(charge.outcome);
    expect(charge.spentMs as number).toBeLessThan(PAYMENT_LATENCY_MS - 300);

    await eventually(async () =>
      expect(await stockOf(stack.grpcUrl('inventory'), 'latte')).toMatchObject({
        reserved: 0,
        sold: 0,
        available: 1_000,
      }),
    );
    await stack
      .tier('order')
      .waitFor(
        (e) => e.msg === 'reservation settled' && e.action === 'release',
      );
  });

  it('aborts every tier still working when the HTTP client hangs up', async () => {
    const capturing = stack
      .tier('payment')
      .events.filter((e) => e.msg === 'capturing').length;
    const req = http.request(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-timeout': '8000',
      },
    });
    req.on('error', () => undefined); // we are the ones hanging up
    req.end(JSON.stringify({ sku: 'espresso', quantity: 3 }));
    // Hang up once payment is working on it (it logs before calling its provider).
    await eventually(() =>
      expect(
        stack.tier('payment').events.filter((e) => e.msg === 'capturing')
          .length,
      ).toBe(capturing + 1),
    );
    req.destroy();

    const ended = (tier: 'gateway' | 'order' | 'payment', method: string) =>
      stack
        .tier(tier)
        .waitFor(
          (e) =>
            e.msg === 'request ended' &&
            e.method === method &&
            e.outcome === 'cancelled' &&
            e.receivedBudgetMs !== 300,
        );
    const [gateway, order, payment] = await Promise.all([
      ended('gateway', 'POST /orders'),
      ended('order', 'PlaceOrder'),
      ended('payment', 'Charge'),
    ]);
    for (const line of [gateway, order, payment])
      expect(line).toMatchObject({ aborted: true, outcome: 'cancelled' });
    await stack
      .tier('gateway')
      .waitFor(
        (e) =>
          e.msg === 'client closed request' &&
          e.statusCode === 499 &&
          e.path === '/orders',
      );
    expect(payment.spentMs as number).toBeLessThan(PAYMENT_LATENCY_MS);
    await eventually(async () =>
      expect(
        await stockOf(stack.grpcUrl('inventory'), 'espresso'),
      ).toMatchObject({ reserved: 0, sold: 0 }),
    );
  });

  it('cancels the call on the wire when a Nest-style Observable is unsubscribed', async () => {
    const raw = rawClient(PAYMENT, stack.grpcUrl('payment'));
    const payment = observeClient(
      createDeadlineClient<PaymentService>(raw, { service: 'payment' }),
    );
    const deadline = Deadline.after(10_000);
    try {
      const subscription = runWithDeadline(deadline, () =>
        payment
          .charge({
            orderId: 'unsubscribed-1',
            customerId: 'c',
            amountCents: 100,
          })
          .subscribe({ error: () => undefined }),
      );
      await stack
        .tier('payment')
        .waitFor(
          (e) => e.msg === 'capturing' && e.orderId === 'unsubscribed-1',
        );
      subscription.unsubscribe();
      const line = await stack
        .tier('payment')
        .waitFor(
          (e) =>
            e.msg === 'request ended' &&
            e.method === 'Charge' &&
            e.outcome === 'cancelled' &&
            (e.receivedBudgetMs as number) > 9_000,
        );
      expect(line).toMatchObject({ aborted: true });
      await expect(
        unary(
          raw,
          'getCharge',
          { orderId: 'unsubscribed-1' },
          { deadline: Date.now() + 2_000 },
        ),
      ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    } finally {
      deadline.dispose();
      raw.close();
    }
  });
});
