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
import { AUTH_ENV } from '../apps/auth/src/auth.env.js';
import { GATEWAY_ENV } from '../apps/gateway/src/gateway.env.js';
import { INVENTORY_ENV } from '../apps/inventory/src/inventory.env.js';
import { ORDER_ENV } from '../apps/order/src/order.env.js';
import { PAYMENT_ENV } from '../apps/payment/src/payment.env.js';

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
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const root = repoRoot();
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
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

/** Runs Debian's docker-compose (1.29) `config` on a compose file; no daemon needed. */
function composeConfig(file: string): {
  status: number | null;
  stderr: string;
} {
  const result = spawnSync('docker-compose', ['-f', file, 'config', '-q'], {
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROJECT_NAME: 'deadline-relay' },
  });
  if (result.error)
    throw new Error(
      `docker-compose is needed for this test (Debian package docker-compose): ${result.error.message}`,
    );
  return { status: result.status, stderr: result.stderr };
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
    for (const [caller, downstreams] of Object.entries(calls)) {
      for (const downstream of downstreams) {
        expect(
          compose.services[caller].environment![
            `${downstream.toUpperCase()}_GRPC_URL`
          ],
        ).toBe(`${downstream}:${DEFAULT_PORTS[downstream]}`);
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
        // ${VAR:-default} stands for its default here.
        const value = String(raw).replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1');
        expect({
          tier,
          name,
          problem: (spec[name].parse(value) as { reason?: string })?.reason,
        }).toEqual({ tier, name, problem: undefined });
      }
    }
  });

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
});
