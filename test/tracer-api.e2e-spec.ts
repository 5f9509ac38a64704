import request from 'supertest';
import { Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

describe('the ContextTracer JSON (GET /_tracer/requests)', () => {
  let stack: Stack;
  let token: string;
  const order = (budget: string) =>
    request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', budget)
      .send({ sku: 'espresso', quantity: 1 });

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: { gateway: { TRACER_RECENT_REQUESTS: '3' } },
    });
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps only the last TRACER_RECENT_REQUESTS requests, newest first, with every hop', async () => {
    for (const budget of ['1001', '1002', '1003', '1004'])
      await order(budget).expect(201);
    const body = await eventually(async () => {
      const response = await request(stack.gatewayUrl)
        .get('/_tracer/requests')
        .expect(200);
      expect(
        response.body.requests.map((r: { budgetMs: number }) => r.budgetMs),
      ).toEqual([1004, 1003, 1002]);
      return response.body as { capacity: number; requests: { id: number }[] };
    });
    expect(body.capacity).toBe(3);
    const detail = await request(stack.gatewayUrl)
      .get(`/_tracer/requests/${body.requests[0].id}`)
      .expect(200);
    expect(detail.body.hops.map((h: { service: string }) => h.service)).toEqual(
      ['gateway', 'auth', 'order', 'inventory', 'payment'],
    );
    expect(detail.body.waterfall).toHaveLength(5);
    expect(detail.body.waterfall[0]).toMatchObject({
      level: 0,
      startMs: 0,
      receivedBudgetMs: 1004,
      deadlineAtMs: 1004,
    });
  });

  it('does not record its own requests, metrics scrapes or health probes', async () => {
    await request(stack.gatewayUrl).get('/metrics').expect(200);
    await request(stack.gatewayUrl).get('/health').expect(200);
    const response = await request(stack.gatewayUrl)
      .get('/_tracer/requests')
      .expect(200);
    expect(
      response.body.requests.every(
        (r: { method: string }) => r.method === 'POST /orders',
      ),
    ).toBe(true);
  });

  it('answers 400 naming the allowed outcomes for an unknown one', async () => {
    const response = await request(stack.gatewayUrl)
      .get('/_tracer/requests?outcome=slow')
      .expect(400);
    expect(response.body.message).toBe(
      'outcome must be one of ok, deadline_exceeded, cancelled, breaker_open, error',
    );
  });

  it('answers 400 for an id that is not a number and 404 for one no longer kept', async () => {
    expect(
      (await request(stack.gatewayUrl).get('/_tracer/requests/abc').expect(400))
        .body.message,
    ).toBe('id must be a whole number');
    expect(
      (await request(stack.gatewayUrl).get('/_tracer/requests/1').expect(404))
        .body.message,
    ).toBe('request 1 is not among the last 3');
  });

  it('serves the page as HTML that runs no script from elsewhere', async () => {
    const response = await request(stack.gatewayUrl)
      .get('/_tracer')
      .expect(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain(
      "default-src 'none'",
    );
    expect(response.text).toContain(
      '<title>ContextTracer · Deadline Relay</title>',
    );
  });
});
