import * as http from 'node:http';
import {
  freePort,
  type Stack as StackType,
  Stack,
} from '../tools/stack/index.js';
import { Haproxy, Nginx } from '../tools/proxy/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// Real nginx and HAProxy (Debian's packages) in front of the real five tiers, each run from the config in
// deploy/ with only its ports and paths moved. Payment is slowed so a request is still working there when
// its budget runs out or its client leaves.
const PAYMENT_LATENCY_MS = 1_500;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  tookMs: number;
}

/** POST /orders with raw headers (node:http sends names exactly as given, underscores included). */
function postOrder(
  url: string,
  headers: Record<string, string>,
  token: string,
  path = '/orders',
): Promise<Reply> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: JSON.parse(text) as Record<string, unknown>,
              tookMs: Date.now() - started,
            });
          } catch {
            reject(new Error(`not JSON (${res.statusCode}): ${text}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ sku: 'espresso', quantity: 1 }));
  });
}

interface Hop {
  service: string;
  method: string;
  receivedBudgetMs: number | null;
}

const hopsOf = (reply: Reply): Hop[] =>
  (reply.body.deadline as { hops: Hop[] }).hops;

/** Starts a request, hangs up once payment is working on it, and returns payment's "request ended" line. */
async function hangUpAtPayment(
  stack: StackType,
  url: string,
  token: string,
  orderSku = 'latte',
): Promise<Record<string, unknown>> {
  const capturing = stack
    .tier('payment')
    .events.filter((e) => e.msg === 'capturing').length;
  const charges = stack.tier('payment').requestsEnded('Charge').length;
  const req = http.request(`${url}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-request-timeout': '8000',
    },
  });
  req.on('error', () => undefined); // we are the ones hanging up
  req.end(JSON.stringify({ sku: orderSku, quantity: 1 }));
  await stack
    .tier('payment')
    .waitFor(
      (e) =>
        e.msg === 'capturing' &&
        stack.tier('payment').events.filter((x) => x.msg === 'capturing')
          .length > capturing,
    );
  req.destroy();
  return stack
    .tier('payment')
    .waitFor(
      (e) =>
        e.msg === 'request ended' &&
        e.method === 'Charge' &&
        stack.tier('payment').requestsEnded('Charge').indexOf(e) >= charges,
    );
}

describe('edge proxies in front of the gateway', () => {
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

  const gatewayAddress = () => `127.0.0.1:${stack.ports.gateway}`;

  describe('nginx (deploy/nginx/deadline-relay.conf)', () => {
    let nginx: Nginx;

    beforeAll(async () => {
      nginx = await Nginx.start({
        port: await freePort(),
        gateway: gatewayAddress(),
      });
    }, 30_000);

    afterAll(async () => {
      await nginx?.stop();
    });

    it('carries the client’s budget through nginx to the last tier', async () => {
      const reply = await postOrder(
        nginx.url,
        {
          'x-request-timeout': '4000',
          traceparent:
            '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        token,
      );
      expect(reply.status).toBe(201);
      const hops = hopsOf(reply);
      expect(hops[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 4000,
      });
      const payment = hops.find((h) => h.service === 'payment')!;
      expect(payment.receivedBudgetMs).toBeGreaterThan(2_000);
      expect(payment.receivedBudgetMs).toBeLessThan(4000);
      // The trace context nginx forwarded is the one the gateway logged for this request.
      // nginx writes its access line once the exchange is over, which may be just after we read the reply.
      await eventually(
        () =>
          expect(nginx.accessLog()).toContain(
            '"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"',
          ),
        5_000,
      );
    });

    it('turns ?timeout= into the budget header', async () => {
      const reply = await postOrder(
        nginx.url,
        {},
        token,
        '/orders?timeout=3500',
      );
      expect(reply.status).toBe(201);
      expect(hopsOf(reply)[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 3500,
      });
      await eventually(
        () => expect(nginx.accessLog()).toContain('"budgetMs":"3500"'),
        5_000,
      );
    });

    it('leaves a malformed ?timeout= in the query, so the gateway’s 400 names ?timeout', async () => {
      const reply = await postOrder(
        nginx.url,
        {},
        token,
        '/orders?timeout=soon',
      );
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({
        statusCode: 400,
        error: 'invalid_timeout',
        field: '?timeout',
      });
    });

    it('clamps a budget above the gateway’s maximum to 30000 ms', async () => {
      const reply = await postOrder(
        nginx.url,
        { 'x-request-timeout': '86400000' },
        token,
      );
      expect(reply.status).toBe(201);
      expect(hopsOf(reply)[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 30_000,
      });
    });

    it('passes a malformed budget on, so the gateway’s 400 names the field', async () => {
      const reply = await postOrder(
        nginx.url,
        { 'x-request-timeout': 'soon' },
        token,
      );
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({
        statusCode: 400,
        error: 'invalid_timeout',
        field: 'x-request-timeout',
      });
    });

    it('answers a spent budget with the gateway’s 504 and hop records, not an nginx page', async () => {
      const reply = await postOrder(
        nginx.url,
        { 'x-request-timeout': '500' },
        token,
      );
      expect(reply.status).toBe(504);
      expect(reply.tookMs).toBeGreaterThanOrEqual(400);
      expect(reply.tookMs).toBeLessThan(PAYMENT_LATENCY_MS);
      expect(reply.body).toMatchObject({
        statusCode: 504,
        error: 'deadline_exceeded',
      });
      expect(reply.body.message).toMatch(
        /^order\.PlaceOrder failed: DEADLINE_EXCEEDED/,
      );
      expect((reply.body.hops as Hop[])[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 500,
      });
      // The gateway's own reply (its Server-Timing record), passed on unchanged.
      expect(reply.headers['server-timing']).toMatch(
        /^0-gateway;dur=[\d.]+;desc="POST \/orders received 500ms/,
      );
    });

    it('cancels payment’s work when the client hangs up on nginx', async () => {
      const charge = await hangUpAtPayment(stack, nginx.url, token);
      expect(charge).toMatchObject({ aborted: true, outcome: 'cancelled' });
      expect(charge.spentMs as number).toBeLessThan(PAYMENT_LATENCY_MS);
      await stack
        .tier('gateway')
        .waitFor(
          (e) => e.msg === 'client closed request' && e.statusCode === 499,
        );
    });

    it('drops X_Request_Timeout (underscore) on purpose, so the gateway applies its default budget', async () => {
      // The narrative's failure: the client believes it asked for 300 ms; nginx drops the header and
      // notes it only at `info`, and the request runs on the gateway's default of 5000 ms.
      const reply = await postOrder(
        nginx.url,
        { X_Request_Timeout: '300' },
        token,
      );
      expect(reply.status).toBe(201);
      expect(reply.tookMs).toBeGreaterThanOrEqual(PAYMENT_LATENCY_MS - 100);
      expect(hopsOf(reply)[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 5000,
      });
      await eventually(
        () =>
          expect(nginx.errorLog()).toMatch(
            /\[info\].*client sent invalid header line: "X_Request_Timeout: 300"/,
          ),
        5_000,
      );
    });

    it('answers its own errors in the gateway’s JSON shape', async () => {
      const dead = await Nginx.start({
        port: await freePort(),
        gateway: `127.0.0.1:${await freePort()}`,
      });
      try {
        const reply = await postOrder(
          dead.url,
          { 'x-request-timeout': '1000' },
          token,
        );
        expect(reply.status).toBe(503);
        expect(reply.headers['retry-after']).toBe('1');
        expect(reply.body).toEqual({
          statusCode: 503,
          error: 'unavailable',
          message: 'nginx: the gateway is not reachable',
        });
      } finally {
        await dead.stop();
      }
    });
  });

  describe('HAProxy (deploy/haproxy/haproxy.cfg)', () => {
    let haproxy: Haproxy;

    beforeAll(async () => {
      haproxy = await Haproxy.start({
        port: await freePort(),
        gateway: gatewayAddress(),
      });
    }, 30_000);

    afterAll(async () => {
      await haproxy?.stop();
    });

    it('carries the client’s budget through HAProxy to the last tier', async () => {
      const reply = await postOrder(
        haproxy.url,
        { 'x-request-timeout': '4000' },
        token,
      );
      expect(reply.status).toBe(201);
      const hops = hopsOf(reply);
      expect(hops[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 4000,
      });
      expect(
        hops.find((h) => h.service === 'payment')!.receivedBudgetMs,
      ).toBeLessThan(4000);
    });

    it('gives a request with no budget the default of 5000 ms', async () => {
      const reply = await postOrder(haproxy.url, {}, token);
      expect(reply.status).toBe(201);
      expect(hopsOf(reply)[0]).toMatchObject({
        service: 'gateway',
        receivedBudgetMs: 5000,
      });
    });

    it('turns ?timeout= into the budget header and clamps to 30000 ms', async () => {
      expect(
        hopsOf(
          await postOrder(haproxy.url, {}, token, '/orders?timeout=3500'),
        )[0],
      ).toMatchObject({ receivedBudgetMs: 3500 });
      expect(
        hopsOf(
          await postOrder(haproxy.url, { 'x-request-timeout': '90000' }, token),
        )[0],
      ).toMatchObject({ receivedBudgetMs: 30_000 });
    });

    it('passes a malformed budget on, so the gateway’s 400 names the field', async () => {
      const reply = await postOrder(
        haproxy.url,
        { 'x-request-timeout': '-5' },
        token,
      );
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({
        statusCode: 400,
        error: 'invalid_timeout',
        field: 'x-request-timeout',
      });
      const query = await postOrder(
        haproxy.url,
        {},
        token,
        '/orders?timeout=soon',
      );
      expect(query.status).toBe(400);
      expect(query.body).toMatchObject({
        statusCode: 400,
        error: 'invalid_timeout',
        field: '?timeout',
      });
    });

    it('ends a 500 ms budget in about 500 ms with a JSON 504, and payment’s work is cancelled', async () => {
      const charges = stack.tier('payment').requestsEnded('Charge').length;
      const reply = await postOrder(
        haproxy.url,
        { 'x-request-timeout': '500' },
        token,
      );
      expect(reply.status).toBe(504);
      expect(reply.tookMs).toBeGreaterThanOrEqual(400);
      expect(reply.tookMs).toBeLessThan(PAYMENT_LATENCY_MS - 300);
      // Whichever answered (HAProxy's timer or the gateway's deadline), the shape is the gateway's.
      expect(reply.body).toMatchObject({
        statusCode: 504,
        error: 'deadline_exceeded',
      });
      const charge = await stack
        .tier('payment')
        .waitFor(
          (e) =>
            e.msg === 'request ended' &&
            e.method === 'Charge' &&
            stack.tier('payment').requestsEnded('Charge').indexOf(e) >= charges,
        );
      expect(charge).toMatchObject({ aborted: true });
      expect(charge.spentMs as number).toBeLessThan(PAYMENT_LATENCY_MS - 300);
    });

    it('cancels payment’s work when the client hangs up on HAProxy', async () => {
      const charge = await hangUpAtPayment(stack, haproxy.url, token);
      expect(charge).toMatchObject({ aborted: true, outcome: 'cancelled' });
      expect(charge.spentMs as number).toBeLessThan(PAYMENT_LATENCY_MS);
    });

    it('enforces the budget itself when the gateway does not answer', async () => {
      // A gateway that accepts and never replies (hung process): only HAProxy's per-request timeout ends it.
      const held: import('node:net').Socket[] = [];
      const hung = http.createServer((req) => {
        if (req.url === '/orders') held.push(req.socket);
      });
      const hungPort = await freePort();
      await new Promise<void>((r) => hung.listen(hungPort, '127.0.0.1', r));
      const edge = await Haproxy.start({
        port: await freePort(),
        gateway: `127.0.0.1:${hungPort}`,
      });
      try {
        const reply = await postOrder(
          edge.url,
          { 'x-request-timeout': '500' },
          token,
        );
        expect(reply.status).toBe(504);
        expect(reply.tookMs).toBeGreaterThanOrEqual(450);
        expect(reply.tookMs).toBeLessThan(2_500);
        expect(reply.body).toEqual({
          statusCode: 504,
          error: 'deadline_exceeded',
          message:
            'haproxy: the request budget (X-Request-Timeout) ran out before the gateway answered',
          hops: [],
        });
        // HAProxy closed the connection to the gateway, which is how a real gateway learns to cancel.
        await eventually(() => {
          expect(held).toHaveLength(1);
          expect(held[0].destroyed).toBe(true);
        }, 5_000);
      } finally {
        await edge.stop();
        hung.closeAllConnections();
        await new Promise((r) => hung.close(r));
      }
    }, 20_000);
  });
});
