import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import request from 'supertest';
import { parse } from 'yaml';
import {
  AUTH,
  INVENTORY,
  ORDER,
  PAYMENT,
  type ServiceContract,
} from '@lib/contracts';
import { COMMON_ENV } from '@lib/platform';
import {
  DEFAULT_PORTS,
  type GrpcTierName,
  repoRoot,
  Stack,
} from '../tools/stack/index.js';
import { GATEWAY_ENV } from '../apps/gateway/src/gateway.env.js';
import { rawClient, unary } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// Layer 2.4, the sidecar: Envoy sets x-envoy-expected-rq-timeout-ms upstream with the timeout it will
// enforce. Every tier takes the smaller of that and its own deadline, so the app never plans for longer
// than the sidecar will wait. Envoy itself cannot be installed here: its config is checked for structure
// and for agreement with the budget policy, and the header is sent by real clients to the real tiers.
const ENVOY = 'x-envoy-expected-rq-timeout-ms';
const MAX_BUDGET_MS = GATEWAY_ENV.DEADLINE_MAX_BUDGET_MS.default!;
const RESERVE_MS = COMMON_ENV.DEADLINE_RESERVE_MS.default!;

/** Envoy's protobuf Duration in YAML ("30s", "0.010s") as milliseconds. */
function durationMs(value: unknown): number {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(String(value));
  if (!match) throw new Error(`not an Envoy duration: ${String(value)}`);
  return Math.round(Number(match[1]) * 1000);
}

interface Route {
  match: { prefix: string; grpc?: object };
  route: {
    cluster: string;
    timeout: string;
    idle_timeout: string;
    max_stream_duration?: {
      grpc_timeout_header_max: string;
      grpc_timeout_header_offset: string;
    };
    retry_policy?: {
      retry_on: string;
      num_retries: number;
      per_try_timeout?: string;
    };
  };
}
interface Manager {
  stat_prefix: string;
  stream_idle_timeout: string;
  request_timeout: string;
  route_config: { virtual_hosts: { routes: Route[] }[] };
  http_filters: {
    name: string;
    typed_config: { suppress_envoy_headers?: boolean };
  }[];
}
interface EnvoyConfig {
  static_resources: {
    listeners: {
      name: string;
      filter_chains: { filters: { name: string; typed_config: Manager }[] }[];
    }[];
    clusters: {
      name: string;
      connect_timeout: string;
      load_assignment: {
        endpoints: {
          lb_endpoints: {
            endpoint: { address: { socket_address: { port_value: number } } };
          }[];
        }[];
      };
    }[];
  };
}

describe('the Envoy sidecar config (deploy/envoy/envoy.yaml)', () => {
  const config = parse(
    readFileSync(join(repoRoot(), 'deploy/envoy/envoy.yaml'), 'utf8'),
  ) as EnvoyConfig;
  const managers = config.static_resources.listeners.map(
    (l) => l.filter_chains[0].filters[0].typed_config,
  );
  const routes = managers.flatMap((m) =>
    m.route_config.virtual_hosts.flatMap((v) => v.routes),
  );
  const manager = (name: string) =>
    managers.find((m) => m.stat_prefix === name)!;

  it('has an edge listener for the gateway and a gRPC ingress listener, each ending in the router', () => {
    expect(managers.map((m) => m.stat_prefix)).toEqual([
      'edge',
      'grpc_ingress',
    ]);
    for (const m of managers)
      expect(m.http_filters.at(-1)!.name).toBe('envoy.filters.http.router');
  });

  it('sets every route timeout to the gateway’s maximum budget: never shorter than a budget the gateway grants', () => {
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes)
      expect(durationMs(r.route.timeout)).toBe(MAX_BUDGET_MS);
  });

  it('lets the caller’s grpc-timeout set a gRPC call’s timeout, up to that maximum, less the per-hop reserve', () => {
    const grpcRoutes = routes.filter((r) => r.match.grpc);
    expect(grpcRoutes).toHaveLength(1);
    for (const r of grpcRoutes) {
      expect(
        durationMs(r.route.max_stream_duration!.grpc_timeout_header_max),
      ).toBe(MAX_BUDGET_MS);
      expect(
        durationMs(r.route.max_stream_duration!.grpc_timeout_header_offset),
      ).toBe(RESERVE_MS);
    }
  });

  it('never gives a try less time than the route, and retries only failures that never reached the app', () => {
    for (const r of routes) {
      const retry = r.route.retry_policy!;
      expect(durationMs(retry.per_try_timeout)).toBeGreaterThanOrEqual(
        durationMs(r.route.timeout),
      );
      expect(retry.retry_on.split(',').sort()).toEqual([
        'connect-failure',
        'refused-stream',
        'reset',
      ]);
      expect(retry.num_retries).toBeLessThanOrEqual(1);
    }
  });

  it('never closes a stream for idling while its deadline may still run', () => {
    for (const r of routes)
      expect(durationMs(r.route.idle_timeout)).toBeGreaterThan(MAX_BUDGET_MS);
    for (const m of managers) {
      expect(durationMs(m.stream_idle_timeout)).toBeGreaterThan(MAX_BUDGET_MS);
      expect(durationMs(m.request_timeout)).toBe(0);
    }
  });

  it('keeps the x-envoy-* headers on, so the tiers see the timeout Envoy enforces', () => {
    for (const m of managers)
      expect(m.http_filters.at(-1)!.typed_config.suppress_envoy_headers).toBe(
        false,
      );
  });

  it('points at the tiers’ documented ports', () => {
    const port = (cluster: string) =>
      config.static_resources.clusters.find((c) => c.name === cluster)!
        .load_assignment.endpoints[0].lb_endpoints[0].endpoint.address
        .socket_address.port_value;
    const clusterOf = (name: string) =>
      manager(name).route_config.virtual_hosts[0].routes[0].route.cluster;
    expect(port(clusterOf('edge'))).toBe(DEFAULT_PORTS.gateway);
    expect(port(clusterOf('grpc_ingress'))).toBe(DEFAULT_PORTS.order);
  });
});

describe('the tiers honour x-envoy-expected-rq-timeout-ms', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await Stack.start();
    token = issueToken();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** A raw grpc-js call with a 5 s grpc-timeout and the given Envoy header; returns the tier's "request ended" line. */
  async function callWithEnvoyHeader(
    tier: GrpcTierName,
    contract: ServiceContract,
    method: string,
    body: unknown,
    envoy: string,
    deadlineMs = 5_000,
  ) {
    const client = rawClient(contract, stack.grpcUrl(tier));
    const metadata = new grpc.Metadata();
    metadata.set(ENVOY, envoy);
    const before = stack.tier(tier).requestsEnded().length;
    try {
      await unary(
        client,
        method,
        body,
        { deadline: Date.now() + deadlineMs },
        metadata,
      ).catch((error: grpc.ServiceError) => {
        // A business error (not found, unauthenticated) is fine here: the line we read is written either way.
        if (
          error.code === grpc.status.DEADLINE_EXCEEDED ||
          error.code === grpc.status.UNAVAILABLE
        )
          throw error;
      });
    } finally {
      client.close();
    }
    return stack
      .tier(tier)
      .waitFor(
        (e) =>
          e.msg === 'request ended' &&
          stack.tier(tier).requestsEnded().indexOf(e) >= before,
      );
  }

  const cheapCalls: [GrpcTierName, ServiceContract, string, () => unknown][] = [
    ['auth', AUTH, 'verifyToken', () => ({ token })],
    ['inventory', INVENTORY, 'getStock', () => ({ sku: 'espresso' })],
    ['payment', PAYMENT, 'getCharge', () => ({ orderId: 'no-such-order' })],
    [
      'order',
      ORDER,
      'placeOrder',
      () => ({ customerId: 'envoy', sku: 'espresso', quantity: 1 }),
    ],
  ];

  it.each(cheapCalls)(
    '%s takes Envoy’s timeout when it is smaller than grpc-timeout',
    async (tier, contract, method, body) => {
      const line = await callWithEnvoyHeader(
        tier,
        contract,
        method,
        body(),
        '800',
      );
      expect(line.receivedBudgetMs).toBe(800);
    },
  );

  it.each(cheapCalls)(
    '%s keeps grpc-timeout when Envoy’s timeout is larger',
    async (tier, contract, method, body) => {
      const line = await callWithEnvoyHeader(
        tier,
        contract,
        method,
        body(),
        '60000',
        2_000,
      );
      expect(line.receivedBudgetMs as number).toBeLessThanOrEqual(2_000);
      expect(line.receivedBudgetMs as number).toBeGreaterThan(1_000);
    },
  );

  it('ignores a malformed Envoy header and keeps grpc-timeout', async () => {
    const line = await callWithEnvoyHeader(
      'auth',
      AUTH,
      'verifyToken',
      { token },
      '1e3',
    );
    expect(line.receivedBudgetMs as number).toBeGreaterThan(4_000);
  });

  it('order passes the smaller budget on: its downstreams see less than Envoy’s timeout', async () => {
    const before = stack.tier('inventory').requestsEnded('Reserve').length;
    const line = await callWithEnvoyHeader(
      'order',
      ORDER,
      'placeOrder',
      { customerId: 'envoy-chain', sku: 'latte', quantity: 1 },
      '700',
    );
    expect(line).toMatchObject({ receivedBudgetMs: 700, outcome: 'ok' });
    const reserve = await stack
      .tier('inventory')
      .waitFor(
        (e) =>
          e.msg === 'request ended' &&
          e.method === 'Reserve' &&
          stack.tier('inventory').requestsEnded('Reserve').indexOf(e) >= before,
      );
    expect(reserve.receivedBudgetMs as number).toBeLessThan(700);
  });

  it('the gateway takes Envoy’s timeout when it is smaller than the client’s', async () => {
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '5000')
      .set(ENVOY, '900')
      .send({ sku: 'espresso', quantity: 1 })
      .expect(201);
    const hops = response.body.deadline.hops as {
      service: string;
      receivedBudgetMs: number;
    }[];
    expect(hops[0]).toMatchObject({
      service: 'gateway',
      receivedBudgetMs: 900,
    });
    for (const hop of hops.slice(1))
      expect(hop.receivedBudgetMs).toBeLessThan(900);
  });

  it('the gateway keeps the client’s budget when Envoy’s timeout is larger (the route timeout of 30 s)', async () => {
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set('x-request-timeout', '2500')
      .set(ENVOY, String(MAX_BUDGET_MS))
      .send({ sku: 'espresso', quantity: 1 })
      .expect(201);
    expect(response.body.deadline.hops[0]).toMatchObject({
      service: 'gateway',
      receivedBudgetMs: 2500,
    });
  });

  it('the gateway refuses a malformed Envoy header with a 400 that names it', async () => {
    const response = await request(stack.gatewayUrl)
      .post('/orders')
      .set('authorization', `Bearer ${token}`)
      .set(ENVOY, 'soon')
      .send({ sku: 'espresso', quantity: 1 })
      .expect(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      error: 'invalid_timeout',
      field: ENVOY,
    });
  });
});
