import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import { HEALTH, ORDER } from '@lib/contracts';
import {
  freePort,
  repoRoot,
  Stack,
  TierProcess,
  TIERS,
  type GrpcTierName,
  type TierName,
} from '../tools/stack/index.js';
import { rawClient, unary } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// The five tiers with mutual TLS between them, certificates from the repository's own script: the
// chain still works, and an internal port no longer serves whoever reaches it.
// A tier's start-up alone can take seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'deadline-relay-mtls-'));
const certs = join(dir, 'relay');
const foreign = join(dir, 'foreign');
const GRPC_TIERS: readonly GrpcTierName[] = [
  'auth',
  'order',
  'inventory',
  'payment',
];

function devCerts(out: string, tiers: readonly string[]): void {
  execFileSync(
    'bash',
    [join(repoRoot(), 'scripts/dev-certs.sh'), out, ...tiers],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

const pem = (folder: string, file: string): Buffer =>
  readFileSync(join(folder, file));

/**
 * What grpc-js tells a caller whose connection the server dropped during the handshake (no detail
 * from the server): "Failed to connect", or the reset itself when it lands while the client still reads.
 */
const DROPPED =
  /^No connection established\. Last error: (Failed to connect|read ECONNRESET) \(\S+\)\. Resolution note: $/;

/** What a refused call tells its caller. */
async function refusal(
  call: Promise<unknown>,
): Promise<{ code: number; details: string }> {
  const error = (await call.then(
    () => new Error('the call was served'),
    (e: unknown) => e,
  )) as grpc.ServiceError;
  return { code: error.code, details: error.details };
}

describe('mutual TLS between the tiers', () => {
  let stack: Stack;
  let token: string;
  // By name, as another service would call it: a TLS client sends the target's host as the TLS server
  // name, and Node 26 refuses an IP address there (the tiers' own channels handle IP targets).
  const orderByName = () =>
    stack.grpcUrl('order').replace('127.0.0.1', 'localhost');
  const placeOrderStraightToOrder = (credentials: grpc.ChannelCredentials) => {
    const client = rawClient(ORDER, orderByName(), credentials);
    return unary(
      client,
      'placeOrder',
      { customerId: 'anyone', sku: 'espresso', quantity: 1 },
      { deadline: Date.now() + 5_000 },
    ).finally(() => client.close());
  };
  const placed = () => stack.tier('order').requestsEnded('PlaceOrder').length;

  beforeAll(async () => {
    devCerts(certs, TIERS);
    devCerts(foreign, ['intruder']);
    stack = await Stack.start({
      env: { GRPC_TLS_CA: join(certs, 'ca.crt') },
      tierEnv: Object.fromEntries(
        TIERS.map((tier: TierName) => [
          tier,
          {
            GRPC_TLS_CERT: join(certs, `${tier}.crt`),
            GRPC_TLS_KEY: join(certs, `${tier}.key`),
          },
        ]),
      ),
    });
    token = issueToken();
  }, 150_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('places an order through the gateway with every gRPC hop on mutual TLS', async () => {
    for (const tier of GRPC_TIERS)
      expect(
        await stack.tier(tier).waitFor((e) => e.msg === 'listening'),
      ).toMatchObject({ protocol: 'grpc', mtls: true });
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '5000')
      .send({ sku: 'espresso', quantity: 1 })
      .expect(201);
    expect(response.body.order).toMatchObject({ status: 'confirmed' });
    expect(
      (
        response.body.deadline.hops as { service: string; outcome: string }[]
      ).map((h) => `${h.service}:${h.outcome}`),
    ).toEqual([
      'gateway:ok',
      'auth:ok',
      'order:ok',
      'inventory:ok',
      'payment:ok',
    ]);
  });

  it('serves a client whose certificate the CA signed (what the refusals below lack)', async () => {
    const client = rawClient(
      HEALTH,
      orderByName(),
      grpc.credentials.createSsl(
        pem(certs, 'ca.crt'),
        pem(certs, 'gateway.key'),
        pem(certs, 'gateway.crt'),
      ),
    );
    await expect(
      unary(client, 'check', {}, { deadline: Date.now() + 5_000 }).finally(() =>
        client.close(),
      ),
    ).resolves.toEqual({ status: 'SERVING' });
  });

  it('refuses PlaceOrder sent straight to order in plain text, with no credentials', async () => {
    const before = placed();
    expect(
      await refusal(
        placeOrderStraightToOrder(grpc.credentials.createInsecure()),
      ),
    ).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringMatching(DROPPED),
    });
    expect(placed()).toBe(before);
  });

  it('refuses a TLS client that presents no certificate', async () => {
    const before = placed();
    expect(
      await refusal(
        placeOrderStraightToOrder(
          grpc.credentials.createSsl(pem(certs, 'ca.crt')),
        ),
      ),
    ).toEqual({
      code: grpc.status.UNAVAILABLE,
      // TLS 1.3's alert 116, sent by the tier when the client shows no certificate.
      details: expect.stringMatching(
        /^No connection established\. Last error: .*:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:.*SSL alert number 116\n \(\S+\)\. Resolution note: $/,
      ),
    });
    expect(placed()).toBe(before);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const before = placed();
    expect(
      await refusal(
        placeOrderStraightToOrder(
          grpc.credentials.createSsl(
            pem(certs, 'ca.crt'),
            pem(foreign, 'intruder.key'),
            pem(foreign, 'intruder.crt'),
          ),
        ),
      ),
    ).toEqual({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringMatching(DROPPED),
    });
    expect(placed()).toBe(before);
  });

  it('is refused in turn by a client that trusts another CA: the tier proves who it is too', async () => {
    expect(
      await refusal(
        placeOrderStraightToOrder(
          grpc.credentials.createSsl(
            pem(foreign, 'ca.crt'),
            pem(certs, 'gateway.key'),
            pem(certs, 'gateway.crt'),
          ),
        ),
      ),
    ).toEqual({
      code: grpc.status.UNAVAILABLE,
      details:
        'No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ',
    });
  });
});

describe('a tier given part of the mutual TLS configuration', () => {
  const partial = join(tmpdir(), `deadline-relay-mtls-partial-${process.pid}`);
  let tier: TierProcess | undefined;

  beforeAll(() => devCerts(partial, ['order']));
  afterAll(async () => {
    await tier?.stop();
    rmSync(partial, { recursive: true, force: true });
  });

  it('refuses to start, naming every variable that is missing or unreadable', async () => {
    tier = new TierProcess({
      name: 'order',
      script: join(repoRoot(), 'dist/apps/order/src/main.js'),
      env: {
        ...process.env,
        BIND_HOST: '127.0.0.1',
        ORDER_GRPC_PORT: String(await freePort()),
        ORDER_ADMIN_PORT: String(await freePort()),
        GRPC_TLS_CA: join(partial, 'ca.crt'),
        GRPC_TLS_CERT: join(partial, 'no-such.crt'),
      },
    });
    await expect(tier.start(60_000)).rejects.toThrow(
      /^order exited with code 1 before listening/,
    );
    const printed = tier.events.map((e) => e.msg).join('\n');
    expect(printed).toContain(
      `GRPC_TLS_CERT: cannot read ${join(partial, 'no-such.crt')} (ENOENT)`,
    );
    expect(printed).toContain(
      'GRPC_TLS_KEY: is required when GRPC_TLS_CA and GRPC_TLS_CERT are set: mutual TLS needs all of GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY (or none, for plain text)',
    );
  });
});
