import { ManualClock } from '@lib/deadline';
import {
  type Replica,
  ReplicaBalancer,
  type ReplicaBalancerOptions,
} from './replica-balancer.js';

const ADDRESSES = ['a:1', 'b:1', 'c:1'];

function setup(options: Omit<ReplicaBalancerOptions, 'clock'> = {}) {
  const clock = new ManualClock();
  const sut = new ReplicaBalancer({ ...options, clock });
  sut.sync(ADDRESSES);
  const replicas = ADDRESSES.map((a) => sut.replica(a) as Replica);
  return { clock, sut, replicas };
}

/** One call on whatever the balancer picks, answered after `latencyOf(address)` ms. */
function serveOne(
  { clock, sut, replicas }: ReturnType<typeof setup>,
  latencyOf: (address: string) => number,
  outcomeOf: (address: string) => 'success' | 'failure' = () => 'success',
): string {
  const replica = sut.pick(replicas) as Replica;
  const started = sut.started(replica);
  clock.advance(latencyOf(replica.address));
  sut.ended(replica, outcomeOf(replica.address), started);
  return replica.address;
}

function countPicks(addresses: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of addresses) counts.set(a, (counts.get(a) ?? 0) + 1);
  return counts;
}

describe(ReplicaBalancer.name, () => {
  it('scores a replica as its latency times its calls in flight plus one', () => {
    const { sut, replicas, clock } = setup({ initialLatencyMs: 10 });
    sut.started(replicas[0]);
    sut.started(replicas[0]);
    expect(replicas[0].score(clock.now())).toBe(30);
  });

  it('multiplies the score of a replica by its failures in a row plus one', () => {
    const { sut, replicas, clock } = setup({
      failurePenaltyMs: 100,
      consecutiveFailures: 0,
      failureRatio: 0,
    });
    for (let i = 0; i < 2; i++)
      sut.ended(replicas[0], 'failure', sut.started(replicas[0]));
    expect(replicas[0].score(clock.now())).toBe(300);
  });

  it('raises the latency of a replica whose calls are in flight longer than its estimate', () => {
    const { sut, replicas, clock } = setup({ initialLatencyMs: 10 });
    sut.started(replicas[0]);
    clock.advance(500);
    expect(replicas[0].score(clock.now())).toBeGreaterThanOrEqual(1_000);
  });

  it('sends almost nothing to a slow replica once it has seen it', () => {
    const ctx = setup({ slowFactor: 0 });
    const latency = (a: string) => (a === 'c:1' ? 800 : 5);
    for (let i = 0; i < 50; i++) serveOne(ctx, latency);
    const picks = countPicks(
      Array.from({ length: 1_000 }, () => serveOne(ctx, latency)),
    );
    expect(picks.get('c:1') ?? 0).toBeLessThan(50);
  });

  it('does not find a replica that fails fast attractive', () => {
    const ctx = setup({ consecutiveFailures: 0, failureRatio: 0 });
    const picks = countPicks(
      Array.from({ length: 1_000 }, () =>
        serveOne(
          ctx,
          (a) => (a === 'c:1' ? 0.1 : 5),
          (a) => (a === 'c:1' ? 'failure' : 'success'),
        ),
      ),
    );
    expect(picks.get('c:1') ?? 0).toBeLessThan(50);
  });

  it('starts a reconnected replica afresh: its failures before the connection dropped no longer keep it out', () => {
    const ctx = setup({ consecutiveFailures: 0, failureRatio: 0 });
    const [, , c] = ctx.replicas;
    const latency = () => 5;
    for (let i = 0; i < 20; i++) serveOne(ctx, latency);
    // Its last calls failed as it died: the failure penalty and failures in a row.
    for (let i = 0; i < 3; i++) ctx.sut.ended(c, 'failure', ctx.sut.started(c));
    const pickedOf = (n: number) =>
      countPicks(Array.from({ length: n }, () => serveOne(ctx, latency))).get(
        'c:1',
      ) ?? 0;
    expect(pickedOf(200)).toBe(0);
    ctx.sut.reconnected(c);
    expect(c.health.consecutive).toBe(0);
    expect(pickedOf(200)).toBeGreaterThan(30);
  });

  it('prefers the replica with fewer calls in flight at equal latency', () => {
    const { sut, replicas } = setup({ random: () => 0, initialLatencyMs: 10 });
    // random 0 draws candidates 0 and 1.
    sut.started(replicas[0]);
    expect(sut.pick(replicas)?.address).toBe('b:1');
  });

  it('leaves out an ejected replica and counts the picks', () => {
    const ctx = setup({ consecutiveFailures: 1, failureRatio: 0 });
    const { sut, replicas } = ctx;
    const started = sut.started(replicas[2]);
    sut.ended(replicas[2], 'failure', started);
    const picked = Array.from(
      { length: 200 },
      () => sut.pick(replicas)?.address,
    );
    expect(picked).not.toContain('c:1');
    expect(sut.snapshot().find((r) => r.address === 'c:1')).toMatchObject({
      ejected: true,
      ejections: 1,
      lastEjection: 'consecutive-failures',
    });
    expect(sut.snapshot().reduce((sum, r) => sum + r.picks, 0)).toBe(200);
  });

  it('picks an ejected replica rather than none', () => {
    const { sut, replicas } = setup({ consecutiveFailures: 1 });
    const started = sut.started(replicas[2]);
    sut.ended(replicas[2], 'failure', started);
    expect(sut.pick([replicas[2]])?.address).toBe('c:1');
  });

  it('does not pick the replicas to avoid while another is there', () => {
    const { sut, replicas } = setup();
    const avoid = new Set(['a:1', 'b:1']);
    for (let i = 0; i < 100; i++)
      expect(sut.pick(replicas, avoid)?.address).toBe('c:1');
  });

  it('prefers an ejected replica to an avoided one', () => {
    const { sut, replicas } = setup({ consecutiveFailures: 1 });
    const started = sut.started(replicas[2]);
    sut.ended(replicas[2], 'failure', started);
    for (let i = 0; i < 100; i++)
      expect(sut.pick(replicas, new Set(['a:1', 'b:1']))?.address).toBe('c:1');
  });

  it('picks among all when every candidate is to be avoided', () => {
    const { sut, replicas } = setup();
    const picked = new Set(
      Array.from(
        { length: 200 },
        () => sut.pick(replicas, new Set(ADDRESSES))?.address,
      ),
    );
    expect(picked).toEqual(new Set(ADDRESSES));
  });

  it('tries a replica it has not heard from before the ones it knows', () => {
    const ctx = setup();
    const { sut, replicas, clock } = ctx;
    for (const replica of replicas.slice(0, 2)) {
      const started = sut.started(replica);
      clock.advance(5);
      sut.ended(replica, 'success', started);
    }
    for (let i = 0; i < 20; i++)
      expect(sut.pick([replicas[0], replicas[2]])?.address).toBe('c:1');
  });

  it('keeps a new replica that hangs from drawing more than a few calls', () => {
    const ctx = setup();
    const { sut, replicas, clock } = ctx;
    for (let i = 0; i < 50; i++)
      for (const replica of replicas.slice(0, 2)) {
        const started = sut.started(replica);
        clock.advance(1);
        sut.ended(replica, 'success', started);
      }
    let onNew = 0;
    for (let i = 0; i < 100; i++) {
      const replica = sut.pick(replicas) as Replica;
      if (replica === replicas[2]) {
        onNew++;
        sut.started(replica); // never answers
      } else sut.ended(replica, 'success', sut.started(replica));
      clock.advance(1);
    }
    expect(onNew).toBeLessThan(5);
  });

  it('picks nothing from no candidates', () => {
    expect(setup().sut.pick([])).toBeUndefined();
  });

  it('does not let a cancelled call lower the estimate', () => {
    const ctx = setup();
    const { sut, replicas, clock } = ctx;
    let started = sut.started(replicas[0]);
    clock.advance(800);
    sut.ended(replicas[0], 'success', started);
    started = sut.started(replicas[0]);
    clock.advance(1);
    sut.ended(replicas[0], 'ignored', started);
    expect(replicas[0].ewma.valueMs()).toBeGreaterThan(790);
  });

  it('counts a timed-out call as at least its elapsed time', () => {
    const { sut, replicas, clock } = setup();
    const started = sut.started(replicas[0]);
    clock.advance(600);
    sut.ended(replicas[0], 'timeout', started);
    expect(replicas[0].ewma.valueMs()).toBe(600);
    expect(replicas[0].inFlight).toBe(0);
  });

  it('keeps what it knows of replicas still in the set and forgets the others', () => {
    const { sut, replicas, clock } = setup();
    const started = sut.started(replicas[0]);
    clock.advance(300);
    sut.ended(replicas[0], 'success', started);
    sut.sync(['a:1', 'd:1']);
    expect(
      sut.snapshot().map((r) => [r.address, Math.round(r.ewmaMs)]),
    ).toEqual([
      ['a:1', 300],
      ['d:1', 0],
    ]);
  });
});
