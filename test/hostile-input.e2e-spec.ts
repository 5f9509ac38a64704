import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Stack } from '../tools/stack/index.js';
import { AuthRelay } from './support/auth-relay.js';
import { issueToken } from './support/tokens.js';

/** What a raw socket saw: the answer (status, headers, JSON body) and when it arrived and closed. */
interface RawExchange {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly answeredAfterMs: number;
  readonly closedAfterMs: number;
}

// "Nothing a client sends gets a 5xx": bodies, budgets, slow clients and headers a client controls,
// against the five real tiers. The gateway runs with a 5 s maximum budget (3 s default), so the slow
// client cases take seconds, not the default's 30; the auth tier is reached through a relay that
// records what the gateway sends on the wire.
describe('hostile input at the edge', () => {
  const MAX_BUDGET_MS = 5_000;
  const DEFAULT_BUDGET_MS = 3_000;
  let stack: Stack;
  let relay: AuthRelay;
  let token: string;
  let port: number;

  beforeAll(async () => {
    relay = await AuthRelay.start();
    stack = await Stack.start({
      tierEnv: {
        gateway: {
          AUTH_GRPC_URL: relay.url,
          DEADLINE_MAX_BUDGET_MS: String(MAX_BUDGET_MS),
          DEADLINE_DEFAULT_BUDGET_MS: String(DEFAULT_BUDGET_MS),
        },
        order: { CHAOS_ENABLED: 'true' },
      },
    });
    relay.forwardTo(stack.grpcUrl('auth'));
    token = issueToken();
    port = stack.ports.gateway;
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await relay?.stop();
  });

  const ORDER = '{"sku":"espresso","quantity":1}';
  const post = (
    body: string | Buffer,
    headers: Record<string, string> = {},
    path = '/orders',
  ): Promise<Response> =>
    fetch(`${stack.gatewayUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
  const answer = async (
    response: Response,
  ): Promise<{ status: number; body: unknown }> => ({
    status: response.status,
    body: await response.json(),
  });

  /** Opens a connection, writes `send(socket)`'s bytes, and reads until the server closes it. */
  const exchange = (
    send: (socket: Socket) => void,
    giveUpAfterMs = 15_000,
  ): Promise<RawExchange> =>
    new Promise((resolve, reject) => {
      const startedAt = performance.now();
      let answeredAfterMs = -1;
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => send(socket));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`the gateway kept the connection ${giveUpAfterMs} ms`),
        );
      }, giveUpAfterMs);
      socket.on('data', (chunk: Buffer) => {
        if (answeredAfterMs < 0)
          answeredAfterMs = performance.now() - startedAt;
        chunks.push(chunk);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...rest] = text.split('\r\n\r\n');
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => {
            const colon = line.indexOf(':');
            return [
              line.slice(0, colon).toLowerCase(),
              line.slice(colon + 1).trim(),
            ];
          }),
        );
        const payload = rest.join('\r\n\r\n');
        resolve({
          status: Number(statusLine.split(' ')[1] ?? 0),
          headers,
          body: headers['content-type']?.startsWith('application/json')
            ? JSON.parse(payload)
            : payload,
          answeredAfterMs,
          closedAfterMs: performance.now() - startedAt,
        });
      });
    });
  const orderHead = (headers: Record<string, string>): string =>
    [
      'POST /orders HTTP/1.1',
      'host: gateway',
      `authorization: Bearer ${token}`,
      'content-type: application/json',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');

  describe('bodies the gateway does not take', () => {
    const padded = (bytes: number): string =>
      `{"sku":"espresso","quantity":1,"pad":"${'a'.repeat(bytes - 40)}"}`;

    it.each([
      ['200 KB', 200_000],
      ['1.5 MB', 1_500_000],
    ])(
      'refuses a JSON body of %s as 413 payload_too_large, before calling anyone',
      async (_, bytes) => {
        const body = padded(bytes);
        const before = relay.calls.length;
        expect(await answer(await post(body))).toEqual({
          status: 413,
          body: {
            statusCode: 413,
            error: 'payload_too_large',
            message: `body of ${body.length} bytes is larger than the 16384 bytes taken`,
            field: 'body',
          },
        });
        expect(relay.calls.length).toBe(before);
      },
    );

    it('stops a gzip bomb at the inflated limit: 10 KB on the wire, 10 MB inflated', async () => {
      const bomb = gzipSync(padded(10_000_000), { level: 9 });
      expect(bomb.length).toBeLessThan(16_384);
      expect(
        await answer(await post(bomb, { 'content-encoding': 'gzip' })),
      ).toEqual({
        status: 413,
        body: {
          statusCode: 413,
          error: 'payload_too_large',
          message:
            'body inflates past the 65536 bytes taken (content-encoding gzip)',
          field: 'body',
        },
      });
    });

    it('takes a body that really is gzip', async () => {
      const response = await post(gzipSync(ORDER), {
        'content-encoding': 'gzip',
      });
      expect(response.status).toBe(201);
    });

    it('refuses content-encoding: gzip on a body that is not gzip as 400 invalid_body', async () => {
      expect(
        await answer(await post(ORDER, { 'content-encoding': 'gzip' })),
      ).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'invalid_body',
          message: 'body is not valid gzip data (content-encoding: gzip)',
          field: 'body',
        },
      });
    });

    it('refuses an unknown content-encoding as 415, naming the header', async () => {
      expect(
        await answer(await post(ORDER, { 'content-encoding': 'zstd2' })),
      ).toEqual({
        status: 415,
        body: {
          statusCode: 415,
          error: 'unsupported_media_type',
          message:
            'content-encoding "zstd2" is not taken; send one of identity, gzip, deflate, br',
          field: 'content-encoding',
        },
      });
    });

    it.each([
      [
        'application/json; charset=klingon',
        'charset "klingon" is not taken; send utf-8',
      ],
      [
        'application/json; charset=latin1',
        'charset "latin1" is not taken; send utf-8',
      ],
      [
        'text/plain',
        'content-type "text/plain" is not JSON; send content-type: application/json',
      ],
    ])('refuses content-type %j as 415', async (contentType, message) => {
      expect(
        await answer(await post(ORDER, { 'content-type': contentType })),
      ).toEqual({
        status: 415,
        body: {
          statusCode: 415,
          error: 'unsupported_media_type',
          message,
          field: 'content-type',
        },
      });
    });
  });

  describe('malformed JSON', () => {
    it.each([
      ['truncated', '{"sku":"espresso"', ' (at line 1, column 18)'],
      [
        'unquoted keys',
        '{sku:"espresso","quantity":1}',
        ' (at line 1, column 2)',
      ],
      [
        'a trailing comma',
        '{"sku":"espresso","quantity":1,}',
        ' (at line 1, column 32)',
      ],
      ['NaN', '{"sku":"espresso","quantity":NaN}', ''],
    ])(
      'answers a body with %s as 400 invalid_body, in its own words',
      async (_, body, where) => {
        expect(await answer(await post(body))).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'invalid_body',
            message: `body is not valid JSON${where}`,
            field: 'body',
          },
        });
      },
    );

    it.each([['null'], ['"espresso"'], ['42']])(
      'answers a bare %s as 400 invalid_body: the body must be an object',
      async (body) => {
        expect(await answer(await post(body))).toEqual({
          status: 400,
          body: {
            statusCode: 400,
            error: 'invalid_body',
            message: 'body must be a JSON object',
            field: 'body',
          },
        });
      },
    );
  });

  describe('budgets of any length', () => {
    it.each([
      ['16 digits', '1234567890123456'],
      ['40 digits', '9'.repeat(40)],
      ['4000 digits', '7'.repeat(4_000)],
    ])('clamps %s to the maximum', async (_, budget) => {
      const response = await post(ORDER, { 'x-request-timeout': budget });
      expect(response.status).toBe(201);
      const body = (await response.json()) as {
        deadline: { budgetMs: number };
      };
      expect(body.deadline.budgetMs).toBe(MAX_BUDGET_MS);
    });

    it('reads leading zeros as nothing: 30 digits worth 5 ms are below the minimum', async () => {
      const response = await post(ORDER, {
        'x-request-timeout': '5'.padStart(30, '0'),
      });
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({
        error: 'deadline_exceeded',
      });
    });
  });

  describe('slow clients', () => {
    it('answers a body shorter than its Content-Length with 504 at the budget, then closes', async () => {
      const seen = await exchange((socket) =>
        socket.write(
          orderHead({ 'content-length': '100', 'x-request-timeout': '1000' }) +
            '{"sku":',
        ),
      );
      expect(seen.status).toBe(504);
      expect(seen.body).toEqual({
        statusCode: 504,
        error: 'deadline_exceeded',
        message:
          'deadline exceeded after 1000 ms while reading the request body (7 of 100 bytes received)',
        hops: [
          expect.objectContaining({
            service: 'gateway',
            outcome: 'deadline_exceeded',
          }),
        ],
      });
      expect(seen.answeredAfterMs).toBeGreaterThanOrEqual(990);
      expect(seen.answeredAfterMs).toBeLessThan(3_000);
      // The rest of the body gets a second (discarded), then the connection is closed.
      expect(seen.closedAfterMs).toBeLessThan(seen.answeredAfterMs + 3_000);
    }, 20_000);

    it('bounds a trickling body by the default budget', async () => {
      let timer: NodeJS.Timeout | undefined;
      const seen = await exchange((socket) => {
        socket.write(orderHead({ 'content-length': String(ORDER.length) }));
        let sent = 0;
        timer = setInterval(() => {
          if (sent < ORDER.length && socket.writable)
            socket.write(ORDER[sent++]);
        }, 250);
      }).finally(() => clearInterval(timer));
      expect(seen.status).toBe(504);
      expect(seen.body).toMatchObject({
        error: 'deadline_exceeded',
        message: expect.stringMatching(
          new RegExp(
            `^deadline exceeded after 3000 ms while reading the request body \\(\\d+ of ${ORDER.length} bytes received\\)$`,
          ),
        ),
      });
      expect(seen.answeredAfterMs).toBeGreaterThanOrEqual(
        DEFAULT_BUDGET_MS - 10,
      );
      expect(seen.answeredAfterMs).toBeLessThan(DEFAULT_BUDGET_MS + 2_000);
    }, 20_000);

    it('closes a connection whose headers never end within the largest budget', async () => {
      const seen = await exchange((socket) =>
        socket.write('POST /orders HTTP/1.1\r\nhost: gateway\r\nx-slow: '),
      );
      // Node's own 408 (no budget runs before the headers are in), checked every second.
      expect(seen.status).toBe(408);
      expect(seen.closedAfterMs).toBeGreaterThanOrEqual(MAX_BUDGET_MS - 10);
      expect(seen.closedAfterMs).toBeLessThan(MAX_BUDGET_MS + 3_000);
    }, 20_000);
  });

  describe('a tier behind the gateway that fails', () => {
    const admin = (): string => `${stack.adminUrl('order')}/chaos/faults`;
    afterEach(async () => {
      await fetch(admin(), { method: 'DELETE' });
    });

    it.each([['INTERNAL'], ['UNKNOWN']])(
      'answers its %s as 502, naming the status, not as the gateway’s own 500',
      async (code) => {
        const fault = (await (
          await fetch(admin(), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ kind: 'error', code, method: 'PlaceOrder' }),
          })
        ).json()) as { id: string };
        const response = await post(ORDER);
        expect(response.status).toBe(502);
        expect(await response.json()).toMatchObject({
          statusCode: 502,
          error: 'chaos_fault',
          message: `order.PlaceOrder failed: ${code}: ${code} injected by chaos fault ${fault.id}`,
        });
        expect(
          stack
            .tier('gateway')
            .events.filter((e) => e.msg === 'unexpected error'),
        ).toEqual([]);
      },
    );
  });

  describe('what the gateway echoes and forwards', () => {
    it('bounds the path a 404 echoes', async () => {
      const path = `/${'a'.repeat(8_000)}`;
      const response = await fetch(`${stack.gatewayUrl}${path}`);
      expect(await answer(response)).toEqual({
        status: 404,
        body: {
          statusCode: 404,
          error: 'not_found',
          message: `Cannot GET /${'a'.repeat(148)}… (8012 characters)`,
        },
      });
      expect(Number(response.headers.get('content-length'))).toBeLessThan(300);
    });

    it('sends no X-Powered-By, on success or failure', async () => {
      for (const response of [
        await post(ORDER),
        await post('{'),
        await fetch(`${stack.gatewayUrl}/nowhere`),
      ]) {
        await response.arrayBuffer();
        expect(response.headers.get('x-powered-by')).toBeNull();
      }
    });

    it("drops a client's baggage at the edge, and still continues its trace", async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await post(ORDER, {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        baggage: 'userId=alice,role=admin',
      });
      expect(response.status).toBe(201);
      const sent = relay.calls.at(-1)!;
      expect(sent.get('baggage')).toEqual([]);
      expect(sent.get('traceparent')).toEqual([
        expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
      ]);
    });
  });
});
