// `npm run bench:balancer`: what choosing a replica costs per call, deadline_p2c beside grpc-js's
// round_robin, on the pickers grpc-js itself installs for a channel over three real (in-process,
// loopback) servers. A pass-through policy wraps each child policy and keeps the READY picker the
// channel would use, so every row runs grpc-js's own pick path (pick_first children, real
// subchannels). Every pick gets a fresh clone of the call's metadata, as grpc-js gives it; the
// first row times that clone alone. Reports the median ns per pick over ROUNDS.
import * as grpc from '@grpc/grpc-js';
import {
  avoidReplicas,
  registerReplicaBalancer,
  ReplicaBalancer,
  type Replica,
  replicaServiceConfig,
  replicaSnapshot,
} from '@lib/resilience';

const N = Number(process.env.BENCH_N ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REPLICAS = 3;

type Picker = grpc.experimental.Picker;
const { PickResultType } = grpc.experimental;

/** READY pickers seen by the capture policy, by the name its config carries. */
const captured = new Map<string, Picker>();

class CaptureConfig implements grpc.experimental.TypedLoadBalancingConfig {
  constructor(
    readonly label: string,
    readonly child: grpc.experimental.TypedLoadBalancingConfig,
  ) {}
  getLoadBalancerName(): string {
    return 'bench_capture';
  }
  toJsonObject(): object {
    return {
      bench_capture: { label: this.label, child: this.child.toJsonObject() },
    };
  }
  static createFromJson(raw: {
    label: string;
    child: Parameters<typeof grpc.experimental.parseLoadBalancingConfig>[0];
  }): CaptureConfig {
    return new CaptureConfig(
      raw.label,
      grpc.experimental.parseLoadBalancingConfig(raw.child),
    );
  }
}

/** Hands everything to its child policy; remembers the child's READY picker. */
class CaptureBalancer implements grpc.experimental.LoadBalancer {
  private label = '';
  private readonly child: grpc.experimental.ChildLoadBalancerHandler;
  constructor(helper: grpc.experimental.ChannelControlHelper) {
    this.child = new grpc.experimental.ChildLoadBalancerHandler(
      grpc.experimental.createChildChannelControlHelper(helper, {
        updateState: (state, picker, error) => {
          if (state === grpc.connectivityState.READY)
            captured.set(this.label, picker);
          helper.updateState(state, picker, error);
        },
      }),
    );
  }
  updateAddressList(
    endpoints: grpc.experimental.StatusOr<grpc.experimental.Endpoint[]>,
    config: grpc.experimental.TypedLoadBalancingConfig,
    options: grpc.ChannelOptions,
    note: string,
  ): boolean {
    if (!(config instanceof CaptureConfig)) return false;
    this.label = config.label;
    return this.child.updateAddressList(endpoints, config.child, options, note);
  }
  exitIdle(): void {
    this.child.exitIdle();
  }
  resetBackoff(): void {
    this.child.resetBackoff();
  }
  destroy(): void {
    this.child.destroy();
  }
  getTypeName(): string {
    return 'bench_capture';
  }
}

function childConfig(serviceConfig: string): object {
  return (JSON.parse(serviceConfig) as { loadBalancingConfig: object[] })
    .loadBalancingConfig[0];
}

async function startServers(): Promise<{
  servers: grpc.Server[];
  target: string;
}> {
  const servers: grpc.Server[] = [];
  const addresses: string[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    servers.push(server);
    addresses.push(`127.0.0.1:${port}`);
  }
  return { servers, target: `ipv4:${addresses.join(',')}` };
}

/** A channel over the servers whose policy is `child`; resolves with its READY picker once all are connected. */
async function readyPicker(
  target: string,
  label: string,
  child: object,
  /** Whether every replica is READY, when the policy can say so itself. */
  allReady?: () => boolean,
): Promise<{ client: grpc.Client; picker: Picker }> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({
      loadBalancingConfig: [{ bench_capture: { label, child } }],
    }),
  });
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 5_000, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  // Wait until the picker covers every replica (the first READY one may hold only one).
  const until = Date.now() + 5_000;
  for (;;) {
    const picker = captured.get(label);
    const seen = new Set<string>();
    if (picker)
      for (let i = 0; i < 64; i++) {
        const result = picker.pick({
          metadata: new grpc.Metadata(),
          extraPickInfo: {},
        });
        if (result.subchannel) seen.add(result.subchannel.getAddress());
        // A call that starts and ends, so that a balancer by load moves on to another replica.
        result.onCallStarted?.();
        result.onCallEnded?.(grpc.status.OK, '', new grpc.Metadata());
      }
    // P2C by score need not visit every replica: with microsecond calls and nothing in flight, one
    // whose first (cold) calls were slower loses every draw until its estimate has decayed.
    if (picker && (seen.size === REPLICAS || allReady?.()))
      return { client, picker };
    if (Date.now() > until) throw new Error(`${label}: not all replicas READY`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Case {
  readonly name: string;
  /** One call's pick (and, where the row says, its start and end). */
  readonly run: () => void;
}

/** Where a case parks what it produced, so the work cannot be optimised away. */
export let sink: unknown;

function measure(run: () => void): number {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < 10_000; i++) run(); // warm-up
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) run();
    samples.push(Number(process.hrtime.bigint() - started) / N);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function main(): Promise<void> {
  grpc.experimental.registerLoadBalancerType(
    'bench_capture',
    CaptureBalancer,
    CaptureConfig,
  );
  registerReplicaBalancer();
  const { servers, target } = await startServers();
  const roundRobin = await readyPicker(target, 'rr', { round_robin: {} });
  const p2c = await readyPicker(
    target,
    'p2c',
    childConfig(replicaServiceConfig({ name: 'bench' })),
    () =>
      replicaSnapshot('bench')?.filter((r) => r.state === 'READY').length ===
      REPLICAS,
  );

  const base = new grpc.Metadata();
  base.set('x-deadline-hop', '2');
  const routed = new grpc.Metadata();
  routed.set('x-deadline-hop', '2');
  const avoided = p2c.picker
    .pick({ metadata: base.clone(), extraPickInfo: {} })
    .subchannel?.getAddress();
  avoidReplicas(routed, avoided ? [avoided] : []);

  const core = new ReplicaBalancer();
  core.sync(['a:1', 'b:1', 'c:1']);
  const coreReplicas = ['a:1', 'b:1', 'c:1'].map(
    (a) => core.replica(a) as Replica,
  );

  const CASES: readonly Case[] = [
    {
      name: 'metadata.clone() alone (baseline)',
      run: () => (sink = base.clone()),
    },
    {
      name: 'round_robin pick',
      run: () =>
        (sink = roundRobin.picker.pick({
          metadata: base.clone(),
          extraPickInfo: {},
        })),
    },
    {
      name: 'deadline_p2c pick',
      run: () =>
        (sink = p2c.picker.pick({ metadata: base.clone(), extraPickInfo: {} })),
    },
    {
      name: 'deadline_p2c pick + onCallStarted + onCallEnded(OK)',
      run: () => {
        const result = p2c.picker.pick({
          metadata: base.clone(),
          extraPickInfo: {},
        });
        result.onCallStarted?.();
        result.onCallEnded?.(grpc.status.OK, '', base);
        sink = result;
      },
    },
    {
      name: 'deadline_p2c pick of a call avoiding one replica (route token)',
      run: () => {
        const result = p2c.picker.pick({
          metadata: routed.clone(),
          extraPickInfo: {},
        });
        if (result.pickResultType !== PickResultType.COMPLETE)
          throw new Error('no pick');
        sink = result;
      },
    },
    {
      name: 'ReplicaBalancer.pick alone (core, no grpc-js)',
      run: () => (sink = core.pick(coreReplicas)),
    },
  ];

  process.stdout.write(
    `replica pick: ${N.toLocaleString('en')} picks over ${REPLICAS} READY replicas, median of ${ROUNDS} rounds, Node ${process.version}\n\n`,
  );
  const rows: { name: string; ns: number }[] = [];
  for (const c of CASES) rows.push({ name: c.name, ns: measure(c.run) });
  const baseline = rows[0].ns;
  const table = [
    ['case', 'ns / pick', 'added ns'],
    ...rows.map((r, i) => [
      r.name,
      r.ns.toFixed(0),
      i === 0 || r.name.startsWith('ReplicaBalancer')
        ? ''
        : (r.ns - baseline).toFixed(0),
    ]),
  ];
  const widths = table[0].map((_, i) =>
    Math.max(...table.map((row) => row[i].length)),
  );
  for (const row of table)
    process.stdout.write(
      `${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}\n`,
    );
  roundRobin.client.close();
  p2c.client.close();
  for (const server of servers) server.forceShutdown();
}

void main();
