import { Stack } from '../tools/stack';
import { stockOf } from './support/grpc-clients';
import { issueToken } from './support/tokens';

// The embedded default (PGlite: PostgreSQL compiled to WebAssembly) that `npm run demo` uses when no
// DATABASE_URL is set: the three data tiers migrate and serve the saga without any server.
// (PGlite loads Node built-ins by dynamic import, which Jest's CommonJS runtime refuses; so it is
// proven here in the real tier processes, not in-process.)
describe('embedded database default (no DATABASE_URL)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({ database: 'inherit', env: { DATABASE_URL: '' } });
  }, 150_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('migrates each data tier’s embedded database on start', async () => {
    for (const tier of ['order', 'inventory', 'payment'] as const) {
      expect(await stack.tier(tier).waitFor((e) => e.msg === 'database ready')).toMatchObject({ kind: 'pglite', migrationsApplied: [expect.stringMatching(/^001-/)] });
    }
  });

  it('places an order end to end: confirmed, charged, stock committed', async () => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issueToken()}`, 'content-type': 'application/json', 'x-request-timeout': '10000' },
      body: JSON.stringify({ sku: 'espresso', quantity: 2 }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { order: unknown }).order).toMatchObject({ status: 'confirmed', sku: 'espresso', quantity: 2, amountCents: 700, chargeId: expect.stringMatching(/^ch_/) });
    await stack.tier('order').waitFor((e) => e.msg === 'reservation settled' && e.action === 'commit');
    expect(await stockOf(stack.grpcUrl('inventory'), 'espresso')).toEqual({ sku: 'espresso', available: 998, reserved: 0, sold: 2 });
  });

  it('answers a declined charge with 409 and puts the stock back', async () => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issueToken()}`, 'content-type': 'application/json', 'x-request-timeout': '10000' },
      body: JSON.stringify({ sku: 'grinder', quantity: 1 }),
    });
    expect(response.status).toBe(409);
    await stack.tier('order').waitFor((e) => e.msg === 'reservation settled' && e.action === 'release');
    expect(await stockOf(stack.grpcUrl('inventory'), 'grinder')).toEqual({ sku: 'grinder', available: 1000, reserved: 0, sold: 0 });
  });
});
