import type * as grpc from '@grpc/grpc-js';
import { FaultProxy } from '@lib/chaos';
import { INVENTORY } from '@lib/contracts';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, Stack } from '../tools/stack/index.js';
import { eventually, rawClient, unary } from './support/grpc-clients.js';

// Fault injection against the real tiers: inventory with CHAOS_ENABLED=true, payment without.
describe('chaos (fault injection on a running tier)', () => {
  let stack: Stack;
  let client: grpc.Client;
  let admin: string;

  beforeAll(async () => {
    stack = await Stack.start({
      tierEnv: { inventory: { CHAOS_ENABLED: 'true' } },
    });
    admin = `${stack.adminUrl('inventory')}/chaos/faults`;
    client = rawClient(INVENTORY, stack.grpcUrl('inventory'));
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  afterEach(async () => {
    await fetch(admin, { method: 'DELETE' });
  });

  const addFault = async (
    fault: Record<string, unknown>,
  ): Promise<{ id: string }> => {
    const response = await fetch(admin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fault),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string };
  };
  const getStock = (deadlineMs = 5_000): Promise<unknown> =>
    unary(
      client,
      'getStock',
      { sku: 'espresso' },
      { deadline: Date.now() + deadlineMs },
    );
  const timed = async (
    call: () => Promise<unknown>,
  ): Promise<{ ms: number; error?: grpc.ServiceError }> => {
    const startedAt = performance.now();
    try {
      await call();
      return { ms: performance.now() - startedAt };
    } catch (error) {
      return {
        ms: performance.now() - startedAt,
        error: error as grpc.ServiceError,
      };
    }
  };
  const chaosLine = (faultId: string): Promise<Record<string, unknown>> =>
    stack
      .tier('inventory')
      .waitFor(
        (e) => e.msg === 'chaos call ended' && e.faultId === faultId,
        10_000,
      );

  it('delays a call by the given time', async () => {
    await addFault({ kind: 'delay', method: 'GetStock', delayMs: 400 });
    const { ms, error } = await timed(() => getStock());
    expect(error).toBeUndefined();
    expect(ms).toBeGreaterThanOrEqual(390);
  });

  it('ends a delayed call when its deadline passes, leaving no work behind', async () => {
    const { id } = await addFault({
      kind: 'delay',
      method: 'GetStock',
      delayMs: 20_000,
    });
    const { ms, error } = await timed(() => getStock(300));
    expect(error?.code).toBe(4); // DEADLINE_EXCEEDED
    expect(ms).toBeLessThan(3_000);
    const line = await chaosLine(id);
    expect(line.heldMs).toBeLessThan(3_000);
    expect(line.overrunMs).toBeLessThan(100);
  });

  it('answers an error fault with its gRPC status', async () => {
    await addFault({
      kind: 'error',
      method: 'GetStock',
      code: 'RESOURCE_EXHAUSTED',
    });
    const { error } = await timed(() => getStock());
    expect(error?.code).toBe(8);
    expect(error?.details).toMatch(
      /^RESOURCE_EXHAUSTED injected by chaos fault f\d+$/,
    );
  });

  it('drops the call on an abort fault: the stream is reset, no answer', async () => {
    await addFault({ kind: 'abort', method: 'GetStock' });
    const { error } = await timed(() => getStock());
    expect(error?.code).toBe(14); // UNAVAILABLE, as grpc-js reads REFUSED_STREAM
    expect(error?.details).toBe('Stream refused by server');
  });

  it('hangs a call until its caller gives up', async () => {
    const { id } = await addFault({ kind: 'hang', method: 'GetStock' });
    const { ms, error } = await timed(() => getStock(500));
    expect(error?.code).toBe(4);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect((await chaosLine(id)).heldMs).toBeLessThan(3_000);
  });

  it('catches about the share of calls its percentage asks for', async () => {
    await addFault({ kind: 'error', method: 'GetStock', percent: 30 });
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, () => timed(() => getStock())),
    );
    const failed = outcomes.filter((o) => Number(o.error?.code) === 14).length;
    // 300 draws at p = 0.3: mean 90, sd ≈ 8; a loose band.
    expect(failed).toBeGreaterThan(45);
    expect(failed).toBeLessThan(135);
    expect(
      outcomes.filter((o) => o.error && Number(o.error.code) !== 14),
    ).toEqual([]);
  });

  it('holds no more calls at once than its cap; the rest pass untouched', async () => {
    await addFault({
      kind: 'delay',
      method: 'GetStock',
      delayMs: 1_500,
      maxConcurrent: 2,
    });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => timed(() => getStock())),
    );
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    expect(outcomes.filter((o) => o.ms >= 1_400)).toHaveLength(2);
    const listed = (await (await fetch(admin)).json()) as {
      faults: { peakActive: number; injected: number }[];
    };
    expect(listed.faults[0]).toMatchObject({ peakActive: 2, injected: 2 });
  });

  it('clears itself after its duration, and says so in the log', async () => {
    const { id } = await addFault({
      kind: 'error',
      method: 'GetStock',
      durationMs: 300,
    });
    await stack
      .tier('inventory')
      .waitFor(
        (e) =>
          e.msg === 'chaos fault expired' &&
          (e.fault as { id?: string }).id === id,
        10_000,
      );
    expect(
      ((await (await fetch(admin)).json()) as { faults: unknown[] }).faults,
    ).toEqual([]);
    await expect(getStock()).resolves.toMatchObject({ sku: 'espresso' });
  });

  it('lists active faults on GET and in GET /health, and logs each one added', async () => {
    const { id } = await addFault({
      kind: 'delay',
      method: 'Reserve',
      delayMs: 800,
      percent: 30,
    });
    const listed = (await (await fetch(admin)).json()) as {
      faults: { id: string; description: string }[];
    };
    expect(listed.faults).toEqual([
      expect.objectContaining({
        id,
        description: 'delay 800 ms on Reserve, 30 %',
      }),
    ]);
    const health = (await (
      await fetch(`${stack.adminUrl('inventory')}/health`)
    ).json()) as { details: { chaos: { faults: { id: string }[] } } };
    expect(health.details.chaos.faults.map((f) => f.id)).toEqual([id]);
    await stack
      .tier('inventory')
      .waitFor(
        (e) =>
          e.msg === 'chaos fault added' &&
          (e.fault as { id?: string }).id === id,
      );
  });

  it('clears one fault by id, and answers 404 for an unknown one', async () => {
    const { id } = await addFault({ kind: 'abort', method: 'GetStock' });
    expect((await fetch(`${admin}/${id}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    const missing = await fetch(`${admin}/${id}`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe(
      `no active fault ${id}`,
    );
  });

  it.each([
    [{ kind: 'delay' }, 'invalid fault: delayMs is required for a delay fault'],
    [
      { kind: 'explode' },
      'invalid fault: kind must be one of delay, error, abort, hang',
    ],
    [
      { kind: 'abort', percent: 150 },
      'invalid fault: percent must be within 0..100, got 150',
    ],
    [
      { kind: 'delay', delayMs: 5, precent: 30 },
      'invalid fault: unknown field "precent"; known: kind, method, percent, maxConcurrent, durationMs, delayMs, jitterMs, code',
    ],
  ])('refuses %j with 400 and the reason', async (body, message) => {
    const response = await fetch(admin, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe(
      message,
    );
    expect(
      ((await (await fetch(admin)).json()) as { faults: unknown[] }).faults,
    ).toEqual([]);
  });

  it('refuses with 403 on a tier started without CHAOS_ENABLED', async () => {
    const url = `${stack.adminUrl('payment')}/chaos/faults`;
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ kind: 'abort' }) : undefined,
      });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toBe(
        'chaos is disabled on this tier; start it with CHAOS_ENABLED=true',
      );
    }
  });

  describe('npm run chaos', () => {
    const chaos = (
      ...args: string[]
    ): Promise<{ stdout: string; stderr: string }> =>
      promisify(execFile)(
        process.execPath,
        [
          join(repoRoot(), 'dist/scripts/chaos.js'),
          ...args,
          '--admin',
          stack.adminUrl('inventory'),
        ],
        { encoding: 'utf8' },
      );

    it('adds a fault as ChaosBlade would, lists it and clears it', async () => {
      const added = await chaos(
        'inventory',
        'delay',
        '800',
        '--percent',
        '100',
        '--for',
        '30s',
        '--method',
        'Reserve',
      );
      expect(added.stdout).toMatch(/^201 \{/);
      const listed = (await (await fetch(admin)).json()) as {
        faults: unknown[];
      };
      expect(listed.faults).toEqual([
        expect.objectContaining({
          kind: 'delay',
          delayMs: 800,
          percent: 100,
          durationMs: 30_000,
          method: 'Reserve',
        }),
      ]);
      expect((await chaos('inventory', 'list')).stdout).toContain(
        '"description": "delay 800 ms on Reserve, 100 %, for 30000 ms"',
      );
      expect((await chaos('inventory', 'clear')).stdout).toMatch(
        /"cleared": 1/,
      );
    });

    it("exits non-zero with the tier's reason for a bad fault", async () => {
      const failure = (await chaos(
        'inventory',
        'delay',
        '800',
        '--percent',
        '150',
      ).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(failure.code).toBe(1);
      expect(failure.stderr).toContain(
        'invalid fault: percent must be within 0..100, got 150',
      );
    });
  });

  describe(FaultProxy.name, () => {
    let proxy: FaultProxy;
    let viaProxy: grpc.Client | undefined;

    beforeEach(async () => {
      const [host, port] = stack.grpcUrl('inventory').split(':');
      proxy = new FaultProxy({
        upstreamHost: host,
        upstreamPort: Number(port),
      });
      await proxy.start();
    });

    afterEach(async () => {
      viaProxy?.close();
      viaProxy = undefined;
      await proxy.stop();
    });

    const callThrough = (
      deadlineMs = 5_000,
    ): Promise<{ ms: number; error?: grpc.ServiceError }> => {
      viaProxy ??= rawClient(INVENTORY, proxy.address);
      return timed(() =>
        unary(
          viaProxy!,
          'getStock',
          { sku: 'espresso' },
          { deadline: Date.now() + deadlineMs },
        ),
      );
    };

    it('passes gRPC through unchanged', async () => {
      expect((await callThrough()).error).toBeUndefined();
      expect(proxy.stats().bytesDown).toBeGreaterThan(0);
    });

    it('adds latency to replies, switched on at run time', async () => {
      await callThrough();
      proxy.set({ downstreamLatencyMs: 400 });
      const { ms, error } = await callThrough();
      expect(error).toBeUndefined();
      expect(ms).toBeGreaterThanOrEqual(390);
    });

    it('blackholes: the connection opens but no answer comes before the deadline', async () => {
      proxy.set({ mode: 'blackhole' });
      const { error } = await callThrough(500);
      expect(error?.code).toBe(4);
    });

    it('resets open connections and new ones', async () => {
      await callThrough();
      proxy.set({ mode: 'reset' });
      const { error } = await callThrough();
      expect(error?.code).toBe(14);
      await eventually(() => expect(proxy.stats().openConnections).toBe(0));
    });
  });
});
