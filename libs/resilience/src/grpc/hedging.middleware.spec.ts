import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import {
  type ClientMiddleware,
  type Clock,
  createDeadlineClient,
  currentScope,
  Deadline,
  DownstreamError,
  encodeHops,
  ERROR_CODE_METADATA_KEY,
  GrpcStatus,
  type HopRecord,
  HOPS_METADATA_KEY,
  runWithDeadline,
  systemClock,
  type TimerHandle,
} from '@lib/deadline';
import { type HedgeEvent, hedgingMiddleware } from './hedging.middleware.js';
import {
  registerReplicaBalancer,
  replicaServiceConfig,
  replicaSnapshot,
} from './replica-balancer.lb.js';
import { replicaRoutingMiddleware } from './replica-routing.middleware.js';

// Three real grpc-js servers on loopback (grpc.health.v1.Health/Check) behind one deadline_p2c
// channel. A request's `service` field says how the replicas treat it: `<marker>|<mode>|<ms>`;
// "first" is the first attempt of that marker to arrive at any replica, the primary.
//   fast            every attempt answers at once
//   slow-first      the first waits <ms> (ending early if cancelled), later ones answer at once
//   slow-all        every attempt waits <ms>, then answers
//   fail-first      the first fails UNAVAILABLE at once, later ones answer
//   fail-all        the first waits <ms> and fails INTERNAL, later ones fail UNAVAILABLE at once
//   answer-second   the first waits <ms> and fails UNAVAILABLE, later ones answer out_of_stock at once
// Each answer carries a hop record naming the replica, as a tier's would.
const definition = loadSync(join(__dirname, '../../../../proto/health.proto'), {
  keepCase: false,
  enums: String,
  defaults: true,
});
const Health = (
  grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  }
).grpc.health.v1.Health;

interface HealthApi {
  check(request: { service: string }): Promise<{ status: string }>;
}

/** Arrivals of each marker so far, across replicas. */
const arrivals = new Map<string, number>();

class Replica {
  /** Markers of the calls it received, in order. */
  readonly received: string[] = [];
  /** Markers of the calls whose first attempt (the primary) arrived here. */
  readonly firsts: string[] = [];
  /** Markers of the calls whose server side saw a cancel. */
  readonly cancelled: string[] = [];
  address = '';
  private readonly server = new grpc.Server();

  constructor(readonly name: string) {}

  async start(): Promise<void> {
    this.server.addService(Health.service, {
      check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => void this.serve(call, callback),
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private async serve(
    call: grpc.ServerUnaryCall<{ service: string }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ): Promise<void> {
    const [marker, mode, ms] = call.request.service.split('|');
    const n = (arrivals.get(marker) ?? 0) + 1;
    arrivals.set(marker, n);
    this.received.push(marker);
    const first = n === 1;
    if (first) this.firsts.push(marker);
    const waitMs = Number(ms ?? 0);
    const wait = async (): Promise<boolean> => {
      const done = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          call.off('cancelled', onCancel);
          resolve(true);
        }, waitMs);
        const onCancel = (): void => {
          clearTimeout(timer);
          resolve(false);
        };
        call.once('cancelled', onCancel);
      });
      if (!done) this.cancelled.push(marker);
      return done;
    };
    const answer = (): void => {
      const header = new grpc.Metadata();
      header.set(HOPS_METADATA_KEY, encodeHops([this.hop('ok')]));
      call.sendMetadata(header);
      callback(null, { status: 'SERVING' });
    };
    const fail = (code: grpc.status, details: string, reason?: string) => {
      const trailer = new grpc.Metadata();
      trailer.set(HOPS_METADATA_KEY, encodeHops([this.hop('error')]));
      if (reason) trailer.set(ERROR_CODE_METADATA_KEY, reason);
      callback({ code, details, metadata: trailer });
    };
    if (mode === 'fast') return answer();
    if (mode === 'slow-first') {
      if (first && !(await wait())) return;
      return answer();
    }
    if (mode === 'slow-all') {
      if (await wait()) answer();
      return;
    }
    if (mode === 'fail-first')
      return first ? fail(grpc.status.UNAVAILABLE, 'replica down') : answer();
    if (mode === 'fail-all') {
      if (!first) return fail(grpc.status.UNAVAILABLE, 'second down');
      if (await wait()) fail(grpc.status.INTERNAL, 'first broke');
      return;
    }
    if (mode === 'answer-second') {
      if (!first)
        return fail(
          grpc.status.FAILED_PRECONDITION,
          'not enough latte',
          'out_of_stock',
        );
      if (await wait()) fail(grpc.status.UNAVAILABLE, 'first down');
      return;
    }
    fail(grpc.status.INVALID_ARGUMENT, `unknown mode ${mode}`);
  }

  private hop(outcome: HopRecord['outcome']): HopRecord {
    return {
      service: this.name,
      method: 'Check',
      receivedBudgetMs: null,
      spentMs: 1,
      forwardedBudgetMs: null,
      outcome,
    };
  }
}

/** The system clock, counting the timers set and not yet fired or cleared. */
class CountingClock implements Clock {
  readonly pending = new Set<TimerHandle>();
  /** Timers set in all. */
  set = 0;
  now(): number {
    return systemClock.now();
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle: TimerHandle = systemClock.setTimeout(() => {
      this.pending.delete(handle);
      callback();
    }, delayMs);
    this.pending.add(handle);
    this.set++;
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

let nextMarker = 0;
const marker = (): string => `m${nextMarker++}`;

describe(hedgingMiddleware.name, { timeout: 60_000 }, () => {
  const replicas = [new Replica('a'), new Replica('b'), new Replica('c')];
  let raw: grpc.Client;

  beforeAll(async () => {
    registerReplicaBalancer();
    for (const replica of replicas) await replica.start();
    raw = new Health(
      `ipv4:${replicas.map((r) => r.address).join(',')}`,
      grpc.credentials.createInsecure(),
      { 'grpc.service_config': replicaServiceConfig({ name: 'hedging' }) },
    );
    // Every replica connected, so a hedge has somewhere else to go.
    const until = Date.now() + 10_000;
    for (;;) {
      await new Promise<void>((resolve) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          () => Buffer.alloc(0),
          (bytes: Buffer) => bytes,
          {},
          () => resolve(),
        ),
      );
      const ready = replicaSnapshot('hedging')?.filter(
        (r) => r.state === 'READY',
      );
      if (ready?.length === 3) break;
      if (Date.now() > until) throw new Error('replicas not all READY');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  afterAll(() => {
    raw.close();
    for (const replica of replicas) replica.stop();
  });

  interface Harness {
    readonly api: HealthApi;
    readonly sent: HedgeEvent[];
    readonly won: HedgeEvent[];
    /**
     * Calls `mode` under a 5 s deadline: its answer (or failure), time taken, and the request
     * scope's hop records once every attempt of the call has ended (a loser included).
     */
    call(
      mode: string,
      ms?: number,
    ): Promise<{
      readonly marker: string;
      readonly outcome: PromiseSettledResult<unknown>;
      readonly tookMs: number;
      hops(): Promise<HopRecord[]>;
    }>;
    warmUp(calls?: number): Promise<void>;
  }

  function harness(
    options: Partial<Parameters<typeof hedgingMiddleware>[0]> = {},
    outer: ClientMiddleware[] = [],
  ): Harness {
    const sent: HedgeEvent[] = [];
    const won: HedgeEvent[] = [];
    const api = createDeadlineClient<HealthApi>(raw, {
      service: 'hedging',
      reserveMs: 0,
      middleware: [
        ...outer,
        hedgingMiddleware({
          idempotentMethods: ['Check'],
          minDelayMs: 100,
          maxPercent: 100,
          onHedgeSent: (event) => sent.push(event),
          onHedgeWon: (event) => won.push(event),
          ...options,
        }),
        replicaRoutingMiddleware(),
        // Innermost but for the hop collector: an attempt leaves it after its records are written.
        (next) => async (call) => {
          const name = (call.request as { service: string }).service;
          running.set(name, (running.get(name) ?? 0) + 1);
          try {
            return await next(call);
          } finally {
            running.set(name, (running.get(name) ?? 0) - 1);
          }
        },
      ],
    });
    const running = new Map<string, number>();
    const scoped: Harness['call'] = (mode, ms = 0) => {
      const name = marker();
      const request = `${name}|${mode}|${ms}`;
      const startedAt = performance.now();
      return runWithDeadline(Deadline.after(5_000), async () => {
        const scope = currentScope();
        const [outcome] = await Promise.allSettled([
          api.check({ service: request }),
        ]);
        return {
          marker: name,
          outcome,
          tookMs: performance.now() - startedAt,
          hops: async () => {
            await until(() => (running.get(request) ?? 0) === 0, 3_000);
            expect(running.get(request) ?? 0).toBe(0);
            return (scope?.hops('ok') ?? []).slice(1);
          },
        };
      });
    };
    return {
      api,
      sent,
      won,
      call: scoped,
      warmUp: async (calls = 30) => {
        for (let i = 0; i < calls; i++) {
          const { outcome } = await scoped('fast');
          expect(outcome.status).toBe('fulfilled');
        }
      },
    };
  }

  const servedBy = (name: string): Replica[] =>
    replicas.filter((r) => r.received.includes(name));
  const primaryOf = (name: string): Replica =>
    replicas.find((r) => r.firsts.includes(name)) as Replica;
  const cancelledOn = (name: string): Replica[] =>
    replicas.filter((r) => r.cancelled.includes(name));
  /** Polls `check` every 10 ms until it holds or `timeoutMs` is over. */
  const until = async (check: () => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!check() && Date.now() < end)
      await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('hedges a slow first attempt to another replica after the delay, and the hedge’s answer wins', async () => {
    const sut = harness();
    await sut.warmUp();
    for (let i = 0; i < 5; i++) {
      const result = await sut.call('slow-first', 3_000);
      expect(result.outcome).toEqual({
        status: 'fulfilled',
        value: { status: 'SERVING' },
      });
      // Answered by the hedge, long before the first attempt's 3 s.
      expect(result.tookMs).toBeGreaterThanOrEqual(95);
      expect(result.tookMs).toBeLessThan(2_000);
      // Two attempts, on two different replicas (the hedge avoids the first one's).
      expect(servedBy(result.marker)).toHaveLength(2);
    }
    expect(sut.sent).toHaveLength(5);
    expect(sut.won).toHaveLength(5);
    expect(sut.sent[0]).toMatchObject({ service: 'hedging', method: 'Check' });
    expect(sut.sent[0].afterMs).toBeGreaterThanOrEqual(95);
  });

  it('cancels the losing attempt on the wire: its server call sees the cancel', async () => {
    const sut = harness();
    await sut.warmUp();
    const result = await sut.call('slow-first', 3_000);
    expect(result.outcome.status).toBe('fulfilled');
    const primary = primaryOf(result.marker);
    // The primary's server call sees the cancel, well before its 3 s are up.
    await until(() => primary.cancelled.includes(result.marker), 2_000);
    expect(cancelledOn(result.marker)).toEqual([primary]);
  });

  it('lets the first attempt win when it answers before the hedge, and cancels the hedge', async () => {
    const sut = harness();
    await sut.warmUp();
    // Every attempt takes 400 ms: the hedge (sent at ~100 ms) would answer at ~500 ms.
    const result = await sut.call('slow-all', 400);
    expect(result.outcome.status).toBe('fulfilled');
    expect(result.tookMs).toBeLessThan(490 + 1_000);
    expect(sut.sent).toHaveLength(1);
    expect(sut.won).toHaveLength(0);
    // The hedge is the loser here: its server call sees the cancel.
    const hedge = servedBy(result.marker).find(
      (r) => r !== primaryOf(result.marker),
    ) as Replica;
    await until(() => hedge.cancelled.includes(result.marker), 2_000);
    expect(cancelledOn(result.marker)).toEqual([hedge]);
  });

  it('puts only the winner’s hop records in the request’s scope', async () => {
    const sut = harness();
    await sut.warmUp();
    const result = await sut.call('slow-first', 3_000);
    expect(result.outcome.status).toBe('fulfilled');
    const winner = servedBy(result.marker).find(
      (r) => r !== primaryOf(result.marker),
    ) as Replica;
    // One record, the hedge's replica's own; none for the cancelled primary.
    expect(await result.hops()).toEqual([
      expect.objectContaining({ service: winner.name, outcome: 'ok' }),
    ]);
  });

  it('sends no hedge before the method has the minimum number of samples', async () => {
    const sut = harness({ minSamples: 20 });
    await sut.warmUp(19);
    const result = await sut.call('slow-first', 400);
    expect(result.outcome.status).toBe('fulfilled');
    expect(result.tookMs).toBeGreaterThanOrEqual(395);
    expect(servedBy(result.marker)).toHaveLength(1);
    expect(sut.sent).toHaveLength(0);
    // The 20th sample was that call: the next slow one is hedged.
    const next = await sut.call('slow-first', 3_000);
    expect(next.tookMs).toBeLessThan(2_000);
    expect(sut.sent).toHaveLength(1);
  });

  it('sends no hedge once the hedge budget is spent', async () => {
    // 20 calls at 10 % credit two hedges; no reserve.
    const sut = harness({ maxPercent: 10, minPerSecond: 0, minSamples: 20 });
    await sut.warmUp(20);
    const hedged = [
      await sut.call('slow-first', 3_000),
      await sut.call('slow-first', 3_000),
    ];
    for (const result of hedged) expect(result.tookMs).toBeLessThan(2_000);
    const unhedged = await sut.call('slow-first', 400);
    expect(unhedged.outcome.status).toBe('fulfilled');
    expect(unhedged.tookMs).toBeGreaterThanOrEqual(395);
    expect(servedBy(unhedged.marker)).toHaveLength(1);
    expect(sut.sent).toHaveLength(2);
  });

  it('hedges only the idempotent methods', async () => {
    const sut = harness({ idempotentMethods: ['Watch'], minSamples: 1 });
    await sut.warmUp(5);
    const result = await sut.call('slow-first', 400);
    expect(result.tookMs).toBeGreaterThanOrEqual(395);
    expect(servedBy(result.marker)).toHaveLength(1);
    expect(sut.sent).toHaveLength(0);
  });

  it('fails at once, with no hedge, when the first attempt fails before the delay', async () => {
    // A long delay, so that even a slow loopback answers first.
    const sut = harness({ minDelayMs: 1_000 });
    await sut.warmUp();
    const result = await sut.call('fail-first');
    expect(result.outcome.status).toBe('rejected');
    const error = (result.outcome as PromiseRejectedResult).reason as unknown;
    expect(DownstreamError.is(error)).toBe(true);
    expect((error as DownstreamError).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(result.tookMs).toBeLessThan(1_000);
    expect(sut.sent).toHaveLength(0);
    // The failed attempt's record stays (as a retried attempt's does).
    expect((await result.hops()).map((h) => h.outcome)).toEqual(['error']);
  });

  it('waits for the other attempt when one fails, and fails with the first attempt’s failure when both do', async () => {
    const sut = harness();
    await sut.warmUp();
    // The hedge fails UNAVAILABLE at once; the first attempt fails INTERNAL at 400 ms.
    const result = await sut.call('fail-all', 400);
    expect(result.outcome.status).toBe('rejected');
    const error = (result.outcome as PromiseRejectedResult)
      .reason as DownstreamError;
    expect(error.code).toBe(GrpcStatus.INTERNAL);
    expect(error.message).toContain('first broke');
    expect(result.tookMs).toBeGreaterThanOrEqual(395);
    expect(sut.sent).toHaveLength(1);
    expect(sut.won).toHaveLength(0);
    // Both attempts ran to their end: both records stay.
    expect((await result.hops()).map((h) => h.outcome)).toEqual([
      'error',
      'error',
    ]);
  });

  it('fails with the downstream’s own answer when one attempt got one and the other failed', async () => {
    const sut = harness();
    await sut.warmUp();
    const result = await sut.call('answer-second', 400);
    expect(result.outcome.status).toBe('rejected');
    const error = (result.outcome as PromiseRejectedResult)
      .reason as DownstreamError;
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(error.reason).toBe('out_of_stock');
  });

  it('leaves no timer and no abort listener behind after 1,000 calls down every path', async () => {
    const clock = new CountingClock();
    const shared = new AbortController();
    // One long-lived signal for every call, as a long request's would be: a listener left on it shows.
    const sameSignal: ClientMiddleware = (next) => (call) =>
      next({ ...call, signal: shared.signal });
    // The median, not the p95, so that the slow shares below (far above 5 %) are still hedged.
    const sut = harness(
      { clock, minDelayMs: 20, minSamples: 5, quantile: 0.5 },
      [sameSignal],
    );
    await sut.warmUp(10);
    const modes: [string, number][] = [
      ['fast', 0],
      ['fast', 0],
      ['fast', 0],
      ['fast', 0],
      ['slow-first', 200],
      ['slow-all', 100],
      ['fail-first', 0],
      ['fail-all', 60],
      ['answer-second', 60],
    ];
    let next = 0;
    const outcomes = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1_000) {
          const [mode, ms] = modes[next++ % modes.length];
          const { outcome } = await sut.call(mode, ms);
          const key = `${mode}:${outcome.status}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
      }),
    );
    expect(outcomes.get('fast:fulfilled')).toBeGreaterThan(0);
    expect(outcomes.get('fail-all:rejected')).toBeGreaterThan(0);
    expect(outcomes.get('slow-first:fulfilled')).toBeGreaterThan(0);
    expect(outcomes.get('slow-all:fulfilled')).toBeGreaterThan(0);
    // About 4 calls in 9 are slow enough to be hedged; the slow-first ones are won by their hedge.
    expect(sut.sent.length, JSON.stringify([...outcomes])).toBeGreaterThan(200);
    expect(sut.won.length, JSON.stringify([...outcomes])).toBeGreaterThan(50);
    expect(clock.pending.size).toBe(0);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    // A call answered before its delay clears its timer at once (not merely lets it fire for nothing).
    for (let i = 0; i < 5; i++) {
      const { outcome } = await sut.call('fast');
      expect(outcome.status).toBe('fulfilled');
      expect(clock.pending.size).toBe(0);
    }
    expect(clock.set).toBeGreaterThan(1_000);
  });
});
