import { DeadlineMetrics } from './deadline-metrics.js';

const value = async (
  sut: DeadlineMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> => {
  const metric = (await sut.registry.getMetricsAsJSON()).find(
    (m) => m.name === name,
  );
  const found = (
    metric?.values as
      | {
          value: number;
          labels: Record<string, unknown>;
          metricName?: string;
        }[]
      | undefined
  )?.find(
    (v) =>
      (v.metricName ?? name) === name &&
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return found?.value;
};

describe(DeadlineMetrics.name, () => {
  const make = (): DeadlineMetrics =>
    new DeadlineMetrics({ tier: 'order', processMetrics: false });

  it('labels every series with its tier', async () => {
    const sut = make();
    sut.requestEnded('PlaceOrder', 100, 'ok');
    expect((await sut.render()).body).toContain(
      'deadline_requests_total{method="PlaceOrder",outcome="ok",tier="order"} 1',
    );
  });

  it('observes the remaining budget on arrival in the histogram', async () => {
    const sut = make();
    sut.requestEnded('PlaceOrder', 120, 'ok');
    sut.requestEnded('PlaceOrder', 30, 'ok');
    const { body } = await sut.render();
    expect(body).toContain(
      'deadline_remaining_on_arrival_ms_sum{tier="order",method="PlaceOrder"} 150',
    );
    expect(body).toContain(
      'deadline_remaining_on_arrival_ms_bucket{le="50",tier="order",method="PlaceOrder"} 1',
    );
  });

  it('does not observe a request that came with no deadline', async () => {
    const sut = make();
    sut.requestEnded('PlaceOrder', null, 'ok');
    expect((await sut.render()).body).not.toContain(
      'deadline_remaining_on_arrival_ms_count{method="PlaceOrder"',
    );
  });

  it('counts deadline exceeded and cancelled apart', async () => {
    const sut = make();
    sut.requestEnded('PlaceOrder', 10, 'deadline_exceeded');
    sut.requestEnded('PlaceOrder', 10, 'deadline_exceeded');
    sut.requestEnded('PlaceOrder', 10, 'cancelled');
    expect(
      await value(sut, 'deadline_exceeded_total', { method: 'PlaceOrder' }),
    ).toBe(2);
    expect(
      await value(sut, 'deadline_cancelled_total', { method: 'PlaceOrder' }),
    ).toBe(1);
  });

  it('counts work started with no deadline in scope, per kind and target', async () => {
    const sut = make();
    sut.missingDeadline('grpc', 'payment.Charge');
    expect(
      await value(sut, 'deadline_missing_total', {
        kind: 'grpc',
        target: 'payment.Charge',
      }),
    ).toBe(1);
  });

  it('labels a lost query by its store, never by its text', async () => {
    const sut = make();
    sut.missingDeadline(
      'query',
      'inventory: SELECT * FROM stock WHERE sku = $1',
    );
    expect(
      await value(sut, 'deadline_missing_total', {
        kind: 'query',
        target: 'inventory',
      }),
    ).toBe(1);
  });

  it('tracks breaker state and counts its transitions', async () => {
    const sut = make();
    sut.breakerStateIs('payment', 'closed');
    sut.breakerTransition('payment', 'closed', 'open');
    expect(await value(sut, 'breaker_state', { downstream: 'payment' })).toBe(
      2,
    );
    expect(
      await value(sut, 'breaker_transitions_total', {
        downstream: 'payment',
        from: 'closed',
        to: 'open',
      }),
    ).toBe(1);
  });

  it('reads each replica’s picks and ejections, and the ejected count, from its balancer at every scrape', async () => {
    const sut = make();
    let replicas = [
      { address: '10.0.0.1:5001', picks: 40, ejections: 0, ejected: false },
      { address: '10.0.0.2:5001', picks: 3, ejections: 1, ejected: true },
    ];
    sut.replicasFrom('inventory', () => replicas);
    const slow = { downstream: 'inventory', replica: '10.0.0.2:5001' };
    expect(
      await value(sut, 'grpc_replica_picks_total', {
        downstream: 'inventory',
        replica: '10.0.0.1:5001',
      }),
    ).toBe(40);
    expect(await value(sut, 'grpc_replica_ejections_total', slow)).toBe(1);
    expect(
      await value(sut, 'grpc_replicas_ejected', { downstream: 'inventory' }),
    ).toBe(1);
    replicas = [
      { ...replicas[0], picks: 90 },
      { ...replicas[1], picks: 4, ejected: false },
    ];
    expect(await value(sut, 'grpc_replica_picks_total', slow)).toBe(4);
    expect(
      await value(sut, 'grpc_replicas_ejected', { downstream: 'inventory' }),
    ).toBe(0);
  });

  it('counts hedges sent and won per downstream and method', async () => {
    const sut = make();
    sut.hedgeSent('inventory', 'Reserve');
    sut.hedgeSent('inventory', 'Reserve');
    sut.hedgeWon('inventory', 'Reserve');
    sut.hedgeSent('inventory', 'Commit');
    const reserve = { downstream: 'inventory', method: 'Reserve' };
    expect(await value(sut, 'grpc_hedges_sent_total', reserve)).toBe(2);
    expect(await value(sut, 'grpc_hedges_won_total', reserve)).toBe(1);
    expect(
      await value(sut, 'grpc_hedges_sent_total', {
        downstream: 'inventory',
        method: 'Commit',
      }),
    ).toBe(1);
  });

  it('reports no replicas for a balancer that has none yet', async () => {
    const sut = make();
    sut.replicasFrom('inventory', () => undefined);
    expect(await value(sut, 'grpc_replica_picks_total')).toBeUndefined();
    expect(
      await value(sut, 'grpc_replicas_ejected', { downstream: 'inventory' }),
    ).toBe(0);
  });

  it('reads the active chaos faults from a source at every scrape', async () => {
    const sut = make();
    let active = 1;
    sut.chaosFaultsFrom(() => active);
    expect(await value(sut, 'chaos_faults_active')).toBe(1);
    active = 0;
    expect(await value(sut, 'chaos_faults_active')).toBe(0);
  });

  it('counts streams by how they ended, idle timeouts apart, and reads the open ones at every scrape', async () => {
    const sut = make();
    let open = { client: 1, server: 2 };
    sut.openStreamsFrom(() => open);
    sut.streamEnded({
      method: 'WatchOrder',
      side: 'server',
      end: 'completed',
      firstMessageMs: 3,
    });
    sut.streamEnded({
      method: 'WatchOrder',
      side: 'client',
      end: 'idle_timeout',
      firstMessageMs: null,
    });
    expect(await value(sut, 'streams_open', { side: 'server' })).toBe(2);
    open = { client: 0, server: 0 };
    expect(await value(sut, 'streams_open', { side: 'server' })).toBe(0);
    expect(
      await value(sut, 'streams_total', {
        method: 'WatchOrder',
        side: 'server',
        end: 'completed',
      }),
    ).toBe(1);
    expect(
      await value(sut, 'stream_idle_timeouts_total', {
        method: 'WatchOrder',
        side: 'client',
      }),
    ).toBe(1);
    expect(
      await value(sut, 'stream_idle_timeouts_total', {
        method: 'WatchOrder',
        side: 'server',
      }),
    ).toBeUndefined();
  });

  it('reads the half-open state as 1 whichever way it is spelled', async () => {
    const sut = make();
    sut.breakerTransition('payment', 'open', 'half-open');
    expect(await value(sut, 'breaker_state', { downstream: 'payment' })).toBe(
      1,
    );
  });

  it('reports the number of active chaos faults, zero at start', async () => {
    const sut = make();
    expect(await value(sut, 'chaos_faults_active')).toBe(0);
    sut.chaosFaultsActive(2);
    expect(await value(sut, 'chaos_faults_active')).toBe(2);
  });
});
