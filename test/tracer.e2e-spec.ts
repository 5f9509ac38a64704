/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { repoRoot, Stack } from '../tools/stack/index.js';
import { eventually } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// The ContextTracer page in a real browser: Debian's Chromium (installed by .ci/run), driven by
// playwright-core, which never downloads a browser of its own.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(repoRoot(), 'test-artifacts');
const PAYMENT_LATENCY_MS = 400;

describe('the ContextTracer page (GET /_tracer) in Chromium', () => {
  let stack: Stack;
  let browser: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let okId: number;
  let failedId: number;

  const order = async (budgetMs: number, token: string): Promise<number> => {
    const response = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-timeout': String(budgetMs),
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
    await response.arrayBuffer();
    return response.status;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await Stack.start({
      tierEnv: {
        payment: { PAYMENT_PROVIDER_LATENCY_MS: String(PAYMENT_LATENCY_MS) },
      },
    });
    const token = issueToken();
    expect(await order(3_000, token)).toBe(201);
    expect(await order(250, token)).toBe(504);
    // The edge records a request when it ends, just after the reply leaves.
    const listed = await eventually(async () => {
      const body = (await (
        await fetch(`${stack.gatewayUrl}/_tracer/requests`)
      ).json()) as {
        requests: { id: number; outcome: string; method: string }[];
      };
      const orders = body.requests.filter((r) => r.method === 'POST /orders');
      expect(orders).toHaveLength(2);
      return orders;
    });
    okId = listed.find((r) => r.outcome === 'ok')!.id;
    failedId = listed.find((r) => r.outcome === 'deadline_exceeded')!.id;

    userDataDir = mkdtempSync(join(tmpdir(), 'tracer-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1360, height: 820 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws one bar per hop, gateway to payment, for a request that went through', async () => {
    await page.goto(`${stack.gatewayUrl}/_tracer#/requests/${okId}`);
    const bars = page.getByTestId('hop-bar');
    await bars.nth(4).waitFor({ timeout: 10_000 });
    expect(
      await bars.evaluateAll((rows) =>
        rows.map(
          (r) =>
            `${r.getAttribute('data-service')}:${r.getAttribute('data-outcome')}`,
        ),
      ),
    ).toEqual([
      'gateway:ok',
      'auth:ok',
      'order:ok',
      'inventory:ok',
      'payment:ok',
    ]);
    // Every hop shows both its budget and the time it used, and the deadline line is drawn.
    expect(await page.getByTestId('budget-bar').count()).toBe(5);
    expect(await page.getByTestId('used-bar').count()).toBe(5);
    await expect(page.getByTestId('deadline-line').isVisible()).resolves.toBe(
      true,
    );
    expect(await page.locator('.hop.failed').count()).toBe(0);
    // Each hop names the process that served it (REPLICA_ID's default, <hostname>:<port>): on its
    // bar, in its label's tooltip and in the table's last column.
    const replicas = (
      ['gateway', 'auth', 'order', 'inventory', 'payment'] as const
    ).map((tier) => `${hostname()}:${stack.ports[tier]}`);
    expect(
      await bars.evaluateAll((rows) =>
        rows.map((r) => r.getAttribute('data-replica')),
      ),
    ).toEqual(replicas);
    expect(await bars.nth(3).locator('.label').getAttribute('title')).toBe(
      `inventory.Reserve on ${replicas[3]}`,
    );
    const table = page.getByTestId('hop-table');
    expect(
      await table
        .locator('th')
        .evaluateAll((ths) => ths.map((th) => th.textContent)),
    ).toEqual([
      'level',
      'service',
      'method',
      'initial',
      'remaining',
      'spent',
      'decay',
      'outcome',
      'replica',
    ]);
    expect(
      await page
        .getByTestId('hop-replica')
        .evaluateAll((cells) => cells.map((c) => c.textContent)),
    ).toEqual(replicas);
    await page.screenshot({
      path: join(ARTIFACTS, 'tracer-ok.png'),
      fullPage: true,
    });
  });

  it('marks the deadline-exceeded request in the list and its failed hops in the waterfall', async () => {
    await page.goto(`${stack.gatewayUrl}/_tracer`);
    await page.getByRole('button', { name: 'deadline exceeded' }).click();
    const rows = page.getByTestId('request');
    await eventually(async () =>
      expect(
        await rows.evaluateAll((items) =>
          items.map((i) => i.getAttribute('data-outcome')),
        ),
      ).toEqual(['deadline_exceeded']),
    );
    await rows.first().click();
    await page.waitForURL(new RegExp(`#/requests/${failedId}$`));
    const failed = page.locator('[data-testid="hop-bar"].failed');
    await failed.first().waitFor({ timeout: 10_000 });
    const failedServices = await failed.evaluateAll((items) =>
      items.map((i) => i.getAttribute('data-service')),
    );
    // The edge always fails; how many downstream records came back depends on which hop gave up first.
    expect(failedServices[0]).toBe('gateway');
    expect(await page.getByTestId('hop-bar').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('reason').textContent()).toContain(
      'DEADLINE_EXCEEDED',
    );
    // Failed hops are drawn in the failure colour, not the normal one.
    const [failedColour, okColour] = await Promise.all([
      failed
        .first()
        .locator('.used')
        .evaluate((el) => getComputedStyle(el).backgroundColor),
      page
        .locator('[data-testid="hop-bar"]:not(.failed) .used')
        .first()
        .evaluate((el) => getComputedStyle(el).backgroundColor),
    ]);
    expect(failedColour).not.toBe(okColour);
    await page.screenshot({
      path: join(ARTIFACTS, 'tracer-deadline-exceeded.png'),
      fullPage: true,
    });
  });

  it('shows an event stream as one bar per hop, the edge’s with its first-event mark', async () => {
    const token = issueToken();
    const placed = await fetch(`${stack.gatewayUrl}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ sku: 'espresso', quantity: 1 }),
    });
    const { order } = (await placed.json()) as { order: { id: string } };
    const events = await fetch(
      `${stack.gatewayUrl}/orders/${order.id}/events`,
      {
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-timeout': '800',
        },
      },
    );
    expect(await events.text()).toContain('event: order');
    const id = await eventually(async () => {
      const body = (await (
        await fetch(`${stack.gatewayUrl}/_tracer/requests`)
      ).json()) as { requests: { id: number; method: string }[] };
      const found = body.requests.find(
        (r) => r.method === 'GET /orders/:id/events',
      );
      expect(found).toBeDefined();
      return found!.id;
    });
    await page.goto(`${stack.gatewayUrl}/_tracer#/requests/${id}`);
    await page.getByTestId('first-message-mark').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('first-message-mark').count()).toBe(1);
    const services = await page
      .getByTestId('hop-bar')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')));
    expect(services.slice(0, 3)).toEqual(['gateway', 'auth', 'order']);
    await page.screenshot({
      path: join(ARTIFACTS, 'tracer-stream.png'),
      fullPage: true,
    });
  });
});
