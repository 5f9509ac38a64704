import {
  type ChannelOptions,
  connectivityState as ConnectivityState,
  experimental,
  type Metadata,
  type status as Status,
} from '@grpc/grpc-js';
import { classifyReplicaStatus } from '../core/replica-outcome.js';
import {
  type Replica,
  ReplicaBalancer,
  type ReplicaBalancerOptions,
  type ReplicaSnapshot,
} from '../core/replica-balancer.js';
import { takeReplicaRoute } from './replica-route.js';

type Endpoint = experimental.Endpoint;
type Picker = experimental.Picker;
type PickArgs = experimental.PickArgs;
type PickResult = experimental.PickResult;

/** Name of the policy in a service config's `loadBalancingConfig`. */
export const REPLICA_BALANCER_POLICY = 'deadline_p2c';

/** The policy's options as they travel in the service config (JSON: numbers and a name). */
export interface ReplicaBalancerConfig extends Omit<
  ReplicaBalancerOptions,
  'random' | 'clock'
> {
  /**
   * Key of this channel's replicas in {@link replicaSnapshot}, e.g. the downstream's name; one
   * channel per name. @default 'default'
   */
  readonly name?: string;
}

const NUMERIC_OPTIONS = [
  'decayMs',
  'initialLatencyMs',
  'failurePenaltyMs',
  'consecutiveFailures',
  'failureRatio',
  'failureMinimumCalls',
  'failureWindowMs',
  'slowFactor',
  'slowMinimumMs',
  'slowMinimumSamples',
  'baseEjectionMs',
  'maxEjectionMs',
  'maxEjectionPercent',
] as const satisfies readonly (keyof ReplicaBalancerConfig)[];

/** Checks a config from JSON: every option known, every number finite and ≥ 0. Throws a list. */
function parseConfig(raw: unknown): ReplicaBalancerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(`${REPLICA_BALANCER_POLICY}: config must be an object`);
  const problems: string[] = [];
  const known = new Set<string>(['name', ...NUMERIC_OPTIONS]);
  for (const [key, value] of Object.entries(raw)) {
    if (!known.has(key)) problems.push(`unknown option ${key}`);
    else if (key === 'name') {
      if (typeof value !== 'string' || value === '')
        problems.push('name must be a non-empty string');
    } else if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0
    )
      problems.push(`${key} must be a finite number ≥ 0`);
  }
  const ratio = (raw as { failureRatio?: unknown }).failureRatio;
  if (typeof ratio === 'number' && ratio > 1)
    problems.push('failureRatio must be ≤ 1');
  if (problems.length)
    throw new RangeError(`${REPLICA_BALANCER_POLICY}: ${problems.join('; ')}`);
  return { ...(raw as ReplicaBalancerConfig) };
}

class ReplicaBalancerLbConfig implements experimental.TypedLoadBalancingConfig {
  constructor(readonly config: ReplicaBalancerConfig) {}

  getLoadBalancerName(): string {
    return REPLICA_BALANCER_POLICY;
  }

  toJsonObject(): object {
    return { [REPLICA_BALANCER_POLICY]: { ...this.config } };
  }

  static createFromJson(raw: unknown): ReplicaBalancerLbConfig {
    return new ReplicaBalancerLbConfig(parseConfig(raw));
  }
}

/** One replica as `/health` and metrics show it, with its connection state. */
export interface ChannelReplicaSnapshot extends ReplicaSnapshot {
  /** grpc-js connectivity state of its connection: READY, CONNECTING, IDLE, TRANSIENT_FAILURE. */
  readonly state: string;
}

/** Live balancers by config name, for {@link replicaSnapshot}. */
const live = new Map<string, ReplicaBalancerLb>();

/**
 * The replicas of the channel whose `deadline_p2c` config has this `name`: address, connection
 * state, score, latency estimate, calls in flight, picks and ejection. Undefined when no such
 * channel has resolved its addresses (or it has closed).
 */
export function replicaSnapshot(
  name = 'default',
): ChannelReplicaSnapshot[] | undefined {
  return live.get(name)?.snapshot();
}

function endpointKey(endpoint: Endpoint): string {
  return endpoint.addresses
    .map((address) => experimental.subchannelAddressToString(address))
    .join(',');
}

/** P2C over the READY children, each call reported back to the core balancer. */
class ReplicaPicker implements Picker {
  private readonly replicas: Replica[] = [];
  private readonly pickers = new Map<Replica, Picker>();

  constructor(
    ready: readonly { readonly replica: Replica; readonly picker: Picker }[],
    private readonly balancer: ReplicaBalancer,
  ) {
    for (const { replica, picker } of ready) {
      this.replicas.push(replica);
      this.pickers.set(replica, picker);
    }
  }

  pick(args: PickArgs): PickResult {
    const route = takeReplicaRoute(args.metadata);
    const replica = this.balancer.pick(this.replicas, route?.avoid);
    // A READY set is never empty: the balancer only installs this picker with one child or more.
    const child = this.pickers.get(replica as Replica) as Picker;
    const result = child.pick(args);
    if (
      result.pickResultType !== experimental.PickResultType.COMPLETE ||
      !replica
    )
      return result;
    const balancer = this.balancer;
    let startedAtMs = 0;
    return {
      pickResultType: result.pickResultType,
      subchannel: result.subchannel,
      status: result.status,
      onCallStarted: () => {
        result.onCallStarted?.();
        startedAtMs = balancer.started(replica);
        if (route) route.picked = replica.address;
      },
      onCallEnded: (code: Status, details: string, metadata: Metadata) => {
        result.onCallEnded?.(code, details, metadata);
        balancer.ended(replica, classifyReplicaStatus(code), startedAtMs);
      },
    };
  }
}

interface Child {
  readonly leaf: experimental.LeafLoadBalancer;
  readonly replica: Replica;
  /** Its connection has been READY before: a later READY is a reconnection. */
  wasReady: boolean;
  /** READY at the last publish. */
  ready: boolean;
}

/**
 * The `deadline_p2c` policy: one pick_first child per endpoint (as round_robin has, so
 * connecting, reconnecting and backoff are grpc-js's own), all kept connected; the picker does
 * power of two choices over the READY ones by peak-EWMA latency × calls in flight, leaving out
 * ejected replicas and those a call asked to avoid.
 */
class ReplicaBalancerLb implements experimental.LoadBalancer {
  private readonly children = new Map<string, Child>();
  private readonly childHelper: experimental.ChannelControlHelper;
  private balancer: ReplicaBalancer | undefined;
  private configJson = '';
  private name: string | undefined;
  private state = ConnectivityState.IDLE;
  private lastError: string | null = null;
  private updatesPaused = false;
  private destroyed = false;

  constructor(private readonly helper: experimental.ChannelControlHelper) {
    this.childHelper = experimental.createChildChannelControlHelper(helper, {
      updateState: (state, _picker, errorMessage) => {
        if (this.destroyed) return;
        // A connection lost: ask the resolver again (DNS may know new replicas), as round_robin does.
        if (
          this.state === ConnectivityState.READY &&
          state !== ConnectivityState.READY
        )
          this.helper.requestReresolution();
        if (errorMessage) this.lastError = errorMessage;
        this.publish();
      },
    });
  }

  updateAddressList(
    endpoints: experimental.StatusOr<Endpoint[]>,
    lbConfig: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    if (!(lbConfig instanceof ReplicaBalancerLbConfig)) return false;
    this.configure(lbConfig.config);
    if (!endpoints.ok) {
      if (this.children.size === 0)
        this.setState(
          ConnectivityState.TRANSIENT_FAILURE,
          new experimental.UnavailablePicker(endpoints.error),
          endpoints.error.details,
        );
      return true;
    }
    const balancer = this.balancer as ReplicaBalancer;
    const wanted = new Map(endpoints.value.map((e) => [endpointKey(e), e]));
    balancer.sync([...wanted.keys()]);
    this.updatesPaused = true;
    for (const [key, child] of this.children)
      if (!wanted.has(key)) {
        child.leaf.destroy();
        this.children.delete(key);
      }
    const added: Child[] = [];
    for (const [key, endpoint] of wanted) {
      const existing = this.children.get(key);
      if (existing && existing.replica === balancer.replica(key)) {
        existing.leaf.updateEndpoint(endpoint, options);
        continue;
      }
      existing?.leaf.destroy();
      const child: Child = {
        leaf: new experimental.LeafLoadBalancer(
          endpoint,
          this.childHelper,
          options,
          resolutionNote,
        ),
        replica: balancer.replica(key) as Replica,
        wasReady: false,
        ready: false,
      };
      this.children.set(key, child);
      added.push(child);
    }
    for (const child of added) child.leaf.startConnecting();
    this.updatesPaused = false;
    if (wanted.size === 0) {
      const message = `${REPLICA_BALANCER_POLICY}: no addresses resolved (${resolutionNote})`;
      this.setState(
        ConnectivityState.TRANSIENT_FAILURE,
        new experimental.UnavailablePicker({ details: message }),
        message,
      );
      return true;
    }
    this.publish();
    return true;
  }

  exitIdle(): void {
    for (const child of this.children.values())
      if (child.leaf.getConnectivityState() === ConnectivityState.IDLE)
        child.leaf.exitIdle();
  }

  resetBackoff(): void {
    // The pick_first children own their backoff; a leaf offers no reset.
  }

  destroy(): void {
    this.destroyed = true;
    for (const child of this.children.values()) child.leaf.destroy();
    this.children.clear();
    if (this.name !== undefined && live.get(this.name) === this)
      live.delete(this.name);
  }

  getTypeName(): string {
    return REPLICA_BALANCER_POLICY;
  }

  snapshot(): ChannelReplicaSnapshot[] {
    const rows = this.balancer?.snapshot() ?? [];
    return rows.map((row) => ({
      ...row,
      state:
        ConnectivityState[
          this.children.get(row.address)?.leaf.getConnectivityState() ??
            ConnectivityState.SHUTDOWN
        ],
    }));
  }

  /** A new config: new options start the balancer afresh; a new name moves the registry entry. */
  private configure(config: ReplicaBalancerConfig): void {
    const { name = 'default', ...options } = config;
    const json = JSON.stringify(options);
    if (!this.balancer || json !== this.configJson) {
      this.balancer = new ReplicaBalancer(options);
      this.configJson = json;
      for (const child of this.children.values()) child.leaf.destroy();
      this.children.clear();
    }
    if (name !== this.name) {
      if (this.name !== undefined && live.get(this.name) === this)
        live.delete(this.name);
      this.name = name;
    }
    live.set(name, this);
  }

  /** The aggregate state, as round_robin computes it, and a picker over the READY children. */
  private publish(): void {
    if (this.updatesPaused || this.destroyed) return;
    const balancer = this.balancer as ReplicaBalancer;
    const ready: { replica: Replica; picker: Picker }[] = [];
    let connecting = false;
    let failing = false;
    for (const child of this.children.values()) {
      const state = child.leaf.getConnectivityState();
      const isReady = state === ConnectivityState.READY;
      if (isReady && !child.ready && child.wasReady)
        balancer.reconnected(child.replica);
      child.ready = isReady;
      if (isReady) child.wasReady = true;
      if (isReady)
        ready.push({ replica: child.replica, picker: child.leaf.getPicker() });
      else if (state === ConnectivityState.CONNECTING) connecting = true;
      else if (state === ConnectivityState.TRANSIENT_FAILURE) failing = true;
    }
    if (ready.length)
      this.setState(
        ConnectivityState.READY,
        new ReplicaPicker(ready, balancer),
        null,
      );
    else if (connecting || !failing)
      this.setState(
        connecting ? ConnectivityState.CONNECTING : ConnectivityState.IDLE,
        new experimental.QueuePicker(this),
        null,
      );
    else {
      const message = `${REPLICA_BALANCER_POLICY}: no replica reachable; last error: ${this.lastError}`;
      this.setState(
        ConnectivityState.TRANSIENT_FAILURE,
        new experimental.UnavailablePicker({ details: message }),
        message,
      );
    }
    // Every replica stays connected, so a pick never waits for a connection it could have had.
    for (const child of this.children.values())
      if (child.leaf.getConnectivityState() === ConnectivityState.IDLE)
        child.leaf.exitIdle();
  }

  private setState(
    state: ConnectivityState,
    picker: Picker,
    errorMessage: string | null,
  ): void {
    this.state = state;
    this.helper.updateState(state, picker, errorMessage);
  }
}

let registered = false;

/**
 * Registers the `deadline_p2c` policy with grpc-js (once; later calls do nothing). Call it before
 * creating a channel whose service config names it: an unregistered name is skipped, and
 * {@link replicaServiceConfig} lists round_robin after it for that case.
 */
export function registerReplicaBalancer(): void {
  if (registered) return;
  experimental.registerLoadBalancerType(
    REPLICA_BALANCER_POLICY,
    ReplicaBalancerLb,
    ReplicaBalancerLbConfig,
  );
  registered = true;
}

/**
 * The `grpc.service_config` channel option that selects `deadline_p2c` with these options,
 * round_robin as its fallback. Checks the options now (throws a RangeError listing every bad
 * one), since grpc-js would skip a config it cannot parse without a word.
 */
export function replicaServiceConfig(
  config: ReplicaBalancerConfig = {},
): string {
  parseConfig(config);
  return JSON.stringify({
    loadBalancingConfig: [
      { [REPLICA_BALANCER_POLICY]: config },
      { round_robin: {} },
    ],
  });
}
