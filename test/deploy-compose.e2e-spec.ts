import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import {
  DEFAULT_ADMIN_PORTS,
  DEFAULT_PORTS,
  type GrpcTierName,
  repoRoot,
  TIERS,
  type TierName,
} from '../tools/stack/index.js';
import { AUTH_ENV, DEVELOPMENT_JWT_SECRET } from '../apps/auth/src/auth.env.js';
import { GATEWAY_ENV } from '../apps/gateway/src/gateway.env.js';
import { INVENTORY_ENV } from '../apps/inventory/src/inventory.env.js';
import { ORDER_ENV } from '../apps/order/src/order.env.js';
import { PAYMENT_ENV } from '../apps/payment/src/payment.env.js';
import { type EnvSpec, parseEnv } from '@lib/platform';

// No Docker engine here: docker-compose.yml is checked by the official compose-spec JSON schema (kept in
// deploy/schemas, see its README) and by Debian's `docker-compose config`, which resolves references
// between services that a schema cannot see. What neither covers: that the image builds and the
// containers start; the same commands and variables are what `npm run stack` runs, tested elsewhere.
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  profiles?: string[];
  deploy?: { replicas?: number | string };
  container_name?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const root = repoRoot();
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const mtlsText = readFileSync(join(root, 'docker-compose.mtls.yml'), 'utf8');
const mtls = parse(mtlsText, { merge: true }) as ComposeFile;
/** A stand-in for the secret scripts/compose-secrets.sh writes into .env. */
const SECRET_ENV = { AUTH_JWT_SECRET: 'e'.repeat(64) };
const ENV_SPECS: Record<TierName, Record<string, unknown>> = {
  auth: AUTH_ENV,
  gateway: GATEWAY_ENV,
  inventory: INVENTORY_ENV,
  order: ORDER_ENV,
  payment: PAYMENT_ENV,
};

function composeSchemaValidator() {
  const schema = JSON.parse(
    readFileSync(join(root, 'deploy/schemas/compose-spec.json'), 'utf8'),
  ) as Record<string, unknown>;
  // The file names draft-07 by its https URI; Ajv knows the meta-schema by its http one. Same draft.
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/**
 * Runs Debian's docker-compose (1.29) `config` on compose files (merged in order); no daemon needed.
 * `env` stands for what .env would hold; by default the secret scripts/compose-secrets.sh writes.
 */
function composeConfig(
  files: string | readonly string[],
  env: Record<string, string> = SECRET_ENV,
): {
  status: number | null;
  stderr: string;
} {
  const inherited = { ...process.env };
  delete inherited.AUTH_JWT_SECRET;
  const result = spawnSync(
    'docker-compose',
    [...[files].flat().flatMap((f) => ['-f', f]), 'config', '-q'],
    {
      encoding: 'utf8',
      env: { ...inherited, COMPOSE_PROJECT_NAME: 'deadline-relay', ...env },
    },
  );
  if (result.error)
    throw new Error(
      `docker-compose is needed for this test (Debian package docker-compose): ${result.error.message}`,
    );
  return { status: result.status, stderr: result.stderr };
}

/** The value a tier gets for `${VAR:-default}` when VAR is unset; undefined for `${VAR:?error}` (required from outside). */
function valueWithoutOverrides(raw: unknown): string | undefined {
  const text = String(raw);
  if (/^\$\{[A-Z_]+:\?.*\}$/.test(text)) return undefined;
  return text.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1');
}

/** Runs a script of the repository with bash; its stderr on failure. */
function runScript(script: string, ...args: string[]): void {
  execFileSync('bash', [join(root, script), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

describe('docker-compose.yml', () => {
  const validate = composeSchemaValidator();

  it('is valid against the compose-spec JSON schema', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('the schema check can fail: a misspelt key is refused', () => {
    const broken = parse(composeText, { merge: true }) as ComposeFile & {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services.gateway.healthchek = {};
    expect(validate(broken)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: '/services/gateway',
        params: { additionalProperty: 'healthchek' },
      }),
    );
  });

  it('passes `docker-compose config`, which resolves references between services', () => {
    expect(composeConfig(join(root, 'docker-compose.yml'))).toEqual({
      status: 0,
      stderr: '',
    });
  });

  it('`docker-compose config` can fail: a dependency on a missing service is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deadline-relay-compose-'));
    try {
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(
        file,
        composeText.replace(
          'order: { condition: service_healthy }',
          'ordr: { condition: service_healthy }',
        ),
      );
      const result = composeConfig(file);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/ordr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs each tier from the one image with the compiled entry point', () => {
    for (const tier of TIERS) {
      const service = compose.services[tier];
      expect(service.command).toEqual([
        'node',
        `dist/apps/${tier}/src/main.js`,
      ]);
      expect(service.image).toBe('deadline-relay:local');
      expect(existsSync(join(root, service.command![1]))).toBe(true);
    }
  });

  it('uses the ports and addresses of `npm run stack`, listening on every interface inside the container', () => {
    for (const tier of TIERS) {
      const env = compose.services[tier].environment!;
      expect(env.BIND_HOST).toBe('0.0.0.0');
      expect(env.ADMIN_HOST).toBeDefined();
      if (tier !== 'gateway') {
        expect(env[`${tier.toUpperCase()}_GRPC_PORT`]).toBe(
          String(DEFAULT_PORTS[tier]),
        );
        expect(env[`${tier.toUpperCase()}_ADMIN_PORT`]).toBe(
          String(DEFAULT_ADMIN_PORTS[tier]),
        );
      }
    }
    const calls: Record<string, readonly GrpcTierName[]> = {
      gateway: ['auth', 'order'],
      order: ['inventory', 'payment'],
    };
    // Inventory runs as several replicas: order resolves all of them (dns:///, below).
    const replicated: readonly GrpcTierName[] = ['inventory'];
    for (const [caller, downstreams] of Object.entries(calls)) {
      for (const downstream of downstreams) {
        expect(
          compose.services[caller].environment![
            `${downstream.toUpperCase()}_GRPC_URL`
          ],
        ).toBe(
          `${replicated.includes(downstream) ? 'dns:///' : ''}${downstream}:${DEFAULT_PORTS[downstream]}`,
        );
      }
    }
    expect(compose.services.gateway.environment!.GATEWAY_PORT).toBe(
      String(DEFAULT_PORTS.gateway),
    );
    expect(compose.services.gateway.ports).toEqual([
      `${DEFAULT_PORTS.gateway}:${DEFAULT_PORTS.gateway}`,
    ]);
  });

  it('sets only variables each tier knows, with values its env spec accepts', () => {
    for (const tier of TIERS) {
      const spec = ENV_SPECS[tier] as Record<
        string,
        { parse(raw: string): unknown }
      >;
      for (const [name, raw] of Object.entries(
        compose.services[tier].environment!,
      )) {
        expect({ tier, name, known: name in spec }).toEqual({
          tier,
          name,
          known: true,
        });
        // ${VAR:-default} stands for its default here; ${VAR:?…} must come from outside (see below).
        const value = valueWithoutOverrides(raw);
        if (value === undefined) {
          expect({ tier, name }).toEqual({
            tier: 'auth',
            name: 'AUTH_JWT_SECRET',
          });
          continue;
        }
        expect({
          tier,
          name,
          problem: (spec[name].parse(value) as { reason?: string })?.reason,
        }).toEqual({ tier, name, problem: undefined });
      }
    }
  });

  it('runs inventory as several replicas that order finds through Docker’s DNS and follows as they come and go', () => {
    const inventory = compose.services.inventory;
    // ${INVENTORY_REPLICAS:-2}: two unless asked for more.
    expect(valueWithoutOverrides(inventory.deploy?.replicas)).toBe('2');
    // Nothing that one container only can have: a fixed name, a host port.
    expect(inventory.container_name).toBeUndefined();
    expect(inventory.ports).toBeUndefined();
    // Each container checks its own health, inside itself.
    expect(inventory.healthcheck!.test.join(' ')).toContain(
      `http://127.0.0.1:${DEFAULT_ADMIN_PORTS.inventory}/health`,
    );
    // Docker's DNS answers the service name with one address per container. A plain inventory:50053
    // resolves them too, but is not taken for several replicas (namesReplicas): grpc-js's pick_first
    // would send every call to one. dns:/// is, and deadline_p2c balances over them all.
    const order = compose.services.order.environment!;
    expect(order.INVENTORY_GRPC_URL).toBe(
      `dns:///inventory:${DEFAULT_PORTS.inventory}`,
    );
    // Connections age out, so order re-resolves and reaches containers added since, soon.
    const ageMs = Number(inventory.environment!.GRPC_MAX_CONNECTION_AGE_MS);
    expect(ageMs).toBeGreaterThan(0);
    expect(ageMs).toBeLessThanOrEqual(60_000);
    expect(Number(order.GRPC_DNS_MIN_RESOLUTION_MS)).toBeLessThanOrEqual(ageMs);
    // What order's validation makes of its whole environment (the image's NODE_ENV included).
    const env = Object.fromEntries(
      Object.entries(order).map(([name, raw]) => [
        name,
        valueWithoutOverrides(raw)!,
      ]),
    );
    expect(
      parseEnv(ORDER_ENV, { ...env, NODE_ENV: 'production' }),
    ).toMatchObject({
      INVENTORY_GRPC_URL: 'dns:///inventory:50053',
      GRPC_LB_POLICY: 'deadline_p2c',
    });
  });

  it('`docker-compose config` gives inventory as many replicas as INVENTORY_REPLICAS asks', () => {
    const replicasOf = (env: Record<string, string>) => {
      const inherited = { ...process.env };
      delete inherited.INVENTORY_REPLICAS;
      const result = spawnSync(
        'docker-compose',
        ['-f', join(root, 'docker-compose.yml'), 'config'],
        {
          encoding: 'utf8',
          env: {
            ...inherited,
            COMPOSE_PROJECT_NAME: 'deadline-relay',
            ...SECRET_ENV,
            ...env,
          },
        },
      );
      expect(result.stderr).toBe('');
      return (parse(result.stdout) as ComposeFile).services.inventory.deploy
        ?.replicas;
    };
    expect(replicasOf({})).toBe(2);
    expect(replicasOf({ INVENTORY_REPLICAS: '3' })).toBe(3);
  }, 30_000);

  it('health-checks every tier on its health endpoint and starts callers after their downstreams are healthy', () => {
    for (const tier of TIERS) {
      const port =
        tier === 'gateway' ? DEFAULT_PORTS.gateway : DEFAULT_ADMIN_PORTS[tier];
      expect(compose.services[tier].healthcheck!.test.join(' ')).toContain(
        `http://127.0.0.1:${port}/health`,
      );
    }
    expect(Object.keys(compose.services.order.depends_on!).sort()).toEqual([
      'inventory',
      'payment',
    ]);
    expect(Object.keys(compose.services.gateway.depends_on!).sort()).toEqual([
      'auth',
      'order',
    ]);
    expect(compose.services.edge.depends_on).toEqual({
      gateway: { condition: 'service_healthy' },
    });
  });

  it('puts HAProxy in front of the gateway with the config from deploy/, and nginx as an opt-in profile', () => {
    expect(compose.services.edge.volumes).toContain(
      './deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro',
    );
    expect(
      readFileSync(join(root, 'deploy/haproxy/haproxy.cfg'), 'utf8'),
    ).toMatch(/^\s+server gateway gateway:3000 /m);
    expect(compose.services['edge-nginx']).toMatchObject({
      profiles: ['nginx'],
    });
    expect(compose.services['edge-nginx'].volumes).toContain(
      './deploy/nginx/deadline-relay.conf:/etc/nginx/conf.d/default.conf:ro',
    );
  });

  it('builds one multi-stage image on a supported Node LTS (24 or 26) with npm ci and npm run build', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const majors = [
      ...dockerfile.matchAll(/^FROM node:(\d+)[\w.-]* AS \w+$/gm),
    ].map((m) => Number(m[1]));
    expect(majors).toHaveLength(2);
    expect(new Set(majors).size).toBe(1);
    expect([24, 26]).toContain(majors[0]);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    // Every path the image copies from the build context exists.
    for (const [, source] of dockerfile.matchAll(
      /^COPY (?!--from)([^\n]+) \S+$/gm,
    )) {
      for (const path of source.split(' '))
        expect({ path, exists: existsSync(join(root, path)) }).toEqual({
          path,
          exists: true,
        });
    }
    // …and is not excluded by .dockerignore.
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).not.toEqual(
      expect.arrayContaining(['proto', 'libs', 'apps', 'package-lock.json']),
    );
    expect(
      execFileSync('git', ['-C', root, 'ls-files', 'package-lock.json'], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('package-lock.json');
  });

  it('ships no working signing secret: without one, `docker-compose config` refuses and says how to make one', () => {
    for (const text of [composeText, mtlsText])
      expect(text).not.toContain(DEVELOPMENT_JWT_SECRET);
    expect(compose.services.auth.environment!.AUTH_JWT_SECRET).toMatch(
      /^\$\{AUTH_JWT_SECRET:\?.*scripts\/compose-secrets\.sh.*\}$/,
    );
    // A folder with no .env, and no AUTH_JWT_SECRET in the environment.
    const dir = mkdtempSync(join(tmpdir(), 'deadline-relay-compose-'));
    try {
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(file, composeText);
      const result = composeConfig(file, {});
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        'in service "auth": set it first, e.g. bash scripts/compose-secrets.sh, which writes a secret of its own into .env',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/compose-secrets.sh and docker-compose.mtls.yml', () => {
  const validate = composeSchemaValidator();
  let dir: string;
  const dotEnv = () =>
    Object.fromEntries(
      readFileSync(join(dir, '.env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    ) as Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'deadline-relay-compose-secrets-'));
    runScript('scripts/compose-secrets.sh', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes into .env a signing secret the auth tier accepts in production, and keeps it when run again', () => {
    const { AUTH_JWT_SECRET } = dotEnv();
    expect(AUTH_JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(
      parseEnv(AUTH_ENV, { NODE_ENV: 'production', AUTH_JWT_SECRET })
        .AUTH_JWT_SECRET,
    ).toBe(AUTH_JWT_SECRET);
    runScript('scripts/compose-secrets.sh', dir);
    expect(dotEnv()).toEqual({ AUTH_JWT_SECRET });
  });

  it('keeps what it writes out of git', () => {
    const ignored = execFileSync(
      'git',
      ['-C', root, 'check-ignore', '--no-index', '.env', '.certs/ca.key'],
      { encoding: 'utf8' },
    );
    expect(ignored.split('\n').filter(Boolean)).toEqual([
      '.env',
      '.certs/ca.key',
    ]);
  });

  it('the mTLS file is valid against the compose-spec schema and merges with the base file in `docker-compose config`', () => {
    expect(validate(mtls) ? [] : validate.errors).toEqual([]);
    expect(
      composeConfig([
        join(root, 'docker-compose.yml'),
        join(root, 'docker-compose.mtls.yml'),
      ]),
    ).toEqual({ status: 0, stderr: '' });
    expect(Object.keys(mtls.services).sort()).toEqual([...TIERS].sort());
  });

  it('gives every tier the CA and its own certificate from the mounted .certs, which every tier accepts at start-up in production', () => {
    for (const tier of TIERS) {
      const service = mtls.services[tier];
      expect(service.volumes).toHaveLength(1);
      const [source, target, mode] = service.volumes![0].split(':');
      expect({ source, mode }).toEqual({ source: './.certs', mode: 'ro' });
      expect(service.environment).toEqual({
        GRPC_TLS_CA: `${target}/ca.crt`,
        GRPC_TLS_CERT: `${target}/${tier}.crt`,
        GRPC_TLS_KEY: `${target}/${tier}.key`,
      });
      // The tier's whole environment as compose gives it (base, then the mTLS file, .env), the
      // image's NODE_ENV, and the files the script made where the volume puts them.
      const env: Record<string, string> = { NODE_ENV: 'production' };
      for (const [name, raw] of Object.entries({
        ...compose.services[tier].environment,
        ...service.environment,
      }))
        env[name] = (valueWithoutOverrides(raw) ?? dotEnv()[name]).replace(
          target,
          join(dir, '.certs'),
        );
      expect(() => parseEnv(ENV_SPECS[tier] as EnvSpec, env)).not.toThrow();
    }
  });
});
