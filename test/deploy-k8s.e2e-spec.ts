/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- manifests are parsed YAML of any shape; the schema test is what types them */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../tools/stack/index.js';
import { ADMISSION_ENV } from '../apps/admission/src/admission.env.js';
import { AUTH_ENV, DEVELOPMENT_JWT_SECRET } from '../apps/auth/src/auth.env.js';
import { type EnvSpec, parseEnv } from '@lib/platform';
import { GATEWAY_ENV } from '../apps/gateway/src/gateway.env.js';
import { INVENTORY_ENV } from '../apps/inventory/src/inventory.env.js';
import { ORDER_ENV } from '../apps/order/src/order.env.js';
import { PAYMENT_ENV } from '../apps/payment/src/payment.env.js';

// What this covers, honestly: each manifest against the Kubernetes 1.19 OpenAPI schema of its kind (kept in
// deploy/schemas, with unknown fields refused), and the references between manifests that a schema cannot
// see. What it cannot: no kube-apiserver runs here, so defaulting, admission, scheduling and whether the
// pods become ready are not checked; the webhook itself is tested over HTTPS in admission.e2e-spec.ts.
const root = repoRoot();
const dir = join(root, 'deploy/k8s');
const BUDGET = 'deadline-relay.dev/timeout-budget-ms';
const SIDECAR = 'deadline-relay.dev/sidecar-timeout-ms';
const SERVICE_LABEL = 'deadline-relay.dev/service';

type Obj = Record<string, any>;
interface Manifest {
  file: string;
  doc: Obj;
}

const ENV_SPECS: Record<
  string,
  Record<string, { parse(raw: string): unknown }>
> = {
  auth: AUTH_ENV,
  gateway: GATEWAY_ENV,
  inventory: INVENTORY_ENV,
  order: ORDER_ENV,
  payment: PAYMENT_ENV,
  admission: ADMISSION_ENV,
};

const SCHEMA_IDS: Record<string, string> = {
  'apps/v1/Deployment': 'io.k8s.api.apps.v1.Deployment',
  'v1/Service': 'io.k8s.api.core.v1.Service',
  'v1/Secret': 'io.k8s.api.core.v1.Secret',
  'v1/ServiceAccount': 'io.k8s.api.core.v1.ServiceAccount',
  'v1/Namespace': 'io.k8s.api.core.v1.Namespace',
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':
    'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration':
    'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration',
};

/** Like kubeconform -strict: an object that lists its properties admits no others. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Obj = Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === 'properties'
        ? Object.fromEntries(
            Object.entries(v as Obj).map(([p, s]) => [p, strict(s)]),
          )
        : strict(v),
    ]),
  );
  if (out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

function kubernetesValidator(): (doc: Obj) => ValidateFunction {
  const definitions = JSON.parse(
    readFileSync(join(root, 'deploy/schemas/kubernetes-1.19.json'), 'utf8'),
  ) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv
    .addFormat('int32', true)
    .addFormat('int64', true)
    .addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/)
    .addFormat('int-or-string', true)
    .addFormat('double', true);
  for (const [id, schema] of Object.entries(definitions))
    ajv.addSchema(strict(schema) as object, id);
  return (doc) => {
    const id = SCHEMA_IDS[`${doc.apiVersion}/${doc.kind}`];
    if (!id)
      throw new Error(
        `no schema kept for ${doc.apiVersion} ${doc.kind}: add it to deploy/schemas`,
      );
    const validate = ajv.getSchema(id);
    if (!validate)
      throw new Error(
        `schema ${id} missing from deploy/schemas/kubernetes-1.19.json`,
      );
    return validate;
  };
}

const kustomization = parseAllDocuments(
  readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
)[0].toJS() as {
  namespace: string;
  resources: string[];
  secretGenerator: { name: string; envs?: string[]; files?: string[] }[];
};
/** What each generated Secret holds: key → file it is read from (relative to deploy/k8s). */
const generated: Record<string, Record<string, string>> = Object.fromEntries(
  kustomization.secretGenerator.map((g) => [
    g.name,
    Object.fromEntries([
      ...(g.envs ?? []).map((file) => [`<env> ${file}`, file]),
      ...(g.files ?? []).map((entry) => entry.split('=') as [string, string]),
    ]),
  ]),
);
/** Secrets made outside kustomize, by the script that says so. */
const SCRIPTED_SECRETS: Record<string, string> = {
  'admission-tls': 'webhook-certs.sh',
};
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => ({
    file,
    doc: d.toJS() as Obj,
  })),
);
const of = (kind: string) =>
  manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const deployments = of('Deployment');
const services = of('Service');
const tierDeployments = deployments.filter(
  (d) => d.metadata.labels?.[SERVICE_LABEL],
);
const podLabels = (d: Obj) =>
  d.spec.template.metadata.labels as Record<string, string>;
const containerOf = (d: Obj) => d.spec.template.spec.containers[0] as Obj;
const budgetOf = (d: Obj) =>
  Number(d.spec.template.metadata.annotations[BUDGET]);
const envOf = (d: Obj) =>
  Object.fromEntries(
    (containerOf(d).env as Obj[])
      .filter((e) => 'value' in e)
      .map((e) => [e.name, e.value]),
  ) as Record<string, string>;
const selects = (
  selector: Record<string, string>,
  labels: Record<string, string>,
) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Kubernetes manifests (deploy/k8s)', () => {
  const schemaFor = kubernetesValidator();

  it('lists every manifest in the folder in kustomization.yaml, and only files that exist', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort();
    expect([...kustomization.resources].sort()).toEqual(files);
    expect(kustomization.namespace).toBe('deadline-relay');
  });

  it.each(
    manifests.map(
      (m) =>
        [`${m.file}: ${m.doc.kind} ${m.doc.metadata?.name}`, m.doc] as const,
    ),
  )('%s is valid against its Kubernetes schema', (_, doc) => {
    const validate = schemaFor(doc);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
  });

  it('the schema check can fail: a misspelt field is refused', () => {
    const broken = structuredClone(deployments[0]);
    broken.spec.template.spec.containers[0].readinesProbe =
      broken.spec.template.spec.containers[0].readinessProbe;
    const validate = schemaFor(broken);
    expect(validate(broken)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        params: { additionalProperty: 'readinesProbe' },
      }),
    );
  });

  it('has a Deployment and a Service for each of the five tiers and the webhook', () => {
    const names = [
      'admission',
      'auth',
      'gateway',
      'inventory',
      'order',
      'payment',
    ];
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(names);
    expect(services.map((s) => s.metadata.name).sort()).toEqual(names);
    expect(tierDeployments.map((d) => d.metadata.name).sort()).toEqual([
      'auth',
      'gateway',
      'inventory',
      'order',
      'payment',
    ]);
  });

  it.each(deployments.map((d) => [d.metadata.name as string, d] as const))(
    '%s: the selector matches the pod labels, and one Service selects those pods',
    (_, d) => {
      expect(selects(d.spec.selector.matchLabels, podLabels(d))).toBe(true);
      const selecting = services.filter((s) =>
        selects(s.spec.selector, podLabels(d)),
      );
      expect(selecting.map((s) => s.metadata.name)).toEqual([d.metadata.name]);
    },
  );

  it.each(services.map((s) => [s.metadata.name as string, s] as const))(
    '%s: the Service’s target ports are ports its pods declare',
    (_, s) => {
      const pods = deployments.find((d) =>
        selects(s.spec.selector, podLabels(d)),
      )!;
      const ports = containerOf(pods).ports as Obj[];
      for (const p of s.spec.ports as Obj[])
        expect(
          ports.some(
            (c) => c.name === p.targetPort || c.containerPort === p.targetPort,
          ),
        ).toBe(true);
    },
  );

  it.each(deployments.map((d) => [d.metadata.name as string, d] as const))(
    '%s: probes use declared ports, and the process listens there',
    (name, d) => {
      const container = containerOf(d);
      const env = envOf(d);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        const port = (container.ports as Obj[]).find(
          (p) => p.name === probe.httpGet.port,
        )!;
        expect(port).toBeDefined();
        // The port the process binds, from its own env: the probe must reach it.
        const portVar =
          (
            { gateway: 'GATEWAY_PORT', admission: 'ADMISSION_PORT' } as Record<
              string,
              string
            >
          )[name] ?? `${name.toUpperCase()}_ADMIN_PORT`;
        expect(Number(env[portVar])).toBe(port.containerPort);
        expect(['/health', '/health/live', '/healthz']).toContain(
          probe.httpGet.path,
        );
      }
      if (name !== 'gateway' && name !== 'admission')
        expect(env.ADMIN_HOST).toBe('0.0.0.0');
      expect(container.resources.requests).toEqual({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
    },
  );

  it.each(deployments.map((d) => [d.metadata.name as string, d] as const))(
    '%s: sets only variables its app reads, with values it accepts',
    (name, d) => {
      const spec = ENV_SPECS[name];
      for (const e of containerOf(d).env as Obj[]) {
        expect({ name: e.name, known: e.name in spec }).toEqual({
          name: e.name,
          known: true,
        });
        if ('value' in e)
          expect({
            name: e.name,
            problem: (
              spec[e.name].parse(String(e.value)) as { reason?: string }
            )?.reason,
          }).toEqual({ name: e.name, problem: undefined });
      }
      expect(containerOf(d).command).toEqual([
        'node',
        `dist/apps/${name}/src/main.js`,
      ]);
    },
  );

  it('each tier declares its timeout budget in one annotation, within the cluster maximum, and a sidecar timeout within it', () => {
    const max = Number(
      envOf(deployments.find((d) => d.metadata.name === 'admission')!)
        .ADMISSION_MAX_BUDGET_MS,
    );
    for (const d of tierDeployments) {
      expect(d.spec.template.metadata.annotations[BUDGET]).toMatch(/^\d+$/);
      expect(budgetOf(d)).toBeLessThanOrEqual(max);
      const sidecar = d.spec.template.metadata.annotations[SIDECAR];
      if (sidecar !== undefined)
        expect(Number(sidecar)).toBeLessThanOrEqual(budgetOf(d));
    }
    const gateway = tierDeployments.find((d) => d.metadata.name === 'gateway')!;
    expect(budgetOf(gateway)).toBe(
      Number(envOf(gateway).DEADLINE_MAX_BUDGET_MS),
    );
  });

  it('every callee’s budget is below its caller’s, by at least the caller’s reserve (calls read from the *_GRPC_URL variables)', () => {
    const edges: string[] = [];
    for (const caller of tierDeployments) {
      const env = envOf(caller);
      for (const [name, url] of Object.entries(env).filter(([n]) =>
        n.endsWith('_GRPC_URL'),
      )) {
        // dns:///<Service>:<port>: the channel resolves every pod and balances over them.
        const [, host, port] = /^dns:\/\/\/([a-z0-9-]+):(\d+)$/.exec(url) ?? [];
        const service = services.find((s) => s.metadata.name === host);
        expect({ name, url, service: service?.metadata.name }).toEqual({
          name,
          url,
          service: host,
        });
        expect((service!.spec.ports as Obj[]).map((p) => p.port)).toContain(
          Number(port),
        );
        // Headless, so the name resolves to the pods themselves, each dialled on the port it declares.
        expect({ service: host, clusterIP: service!.spec.clusterIP }).toEqual({
          service: host,
          clusterIP: 'None',
        });
        const callee = deployments.find((d) =>
          selects(service!.spec.selector, podLabels(d)),
        )!;
        expect(
          (containerOf(callee).ports as Obj[]).map((p) => p.containerPort),
        ).toContain(Number(port));
        // Connections age out, so callers re-resolve and reach pods added since.
        expect(
          Number(envOf(callee).GRPC_MAX_CONNECTION_AGE_MS),
        ).toBeGreaterThan(0);
        // Several pods behind the name, for the caller's balancer to spread over.
        expect({
          callee: callee.metadata.name,
          replicas: callee.spec.replicas >= 2,
        }).toEqual({ callee: callee.metadata.name, replicas: true });
        expect(budgetOf(callee)).toBeLessThanOrEqual(
          budgetOf(caller) - Number(env.DEADLINE_RESERVE_MS),
        );
        edges.push(`${caller.metadata.name}->${callee.metadata.name}`);
      }
    }
    expect(edges.sort()).toEqual([
      'gateway->auth',
      'gateway->order',
      'order->inventory',
      'order->payment',
    ]);
  });

  it('points both webhook configurations at the admission Service, over v1, without side effects, with a short timeout', () => {
    const admission = services.find((s) => s.metadata.name === 'admission')!;
    const configs = [
      ...of('ValidatingWebhookConfiguration'),
      ...of('MutatingWebhookConfiguration'),
    ];
    expect(configs).toHaveLength(2);
    for (const config of configs) {
      for (const hook of config.webhooks as Obj[]) {
        expect(hook.clientConfig.service).toMatchObject({
          namespace: kustomization.namespace,
          name: 'admission',
          port: admission.spec.ports[0].port,
        });
        expect(hook.admissionReviewVersions).toEqual(['v1']);
        expect(hook.sideEffects).toBe('None');
        expect(hook.timeoutSeconds).toBeLessThanOrEqual(10);
        expect(hook.objectSelector.matchExpressions).toEqual([
          { key: SERVICE_LABEL, operator: 'Exists' },
        ]);
      }
    }
    expect(of('ValidatingWebhookConfiguration')[0].webhooks[0]).toMatchObject({
      failurePolicy: 'Fail',
      clientConfig: { service: { path: '/validate' } },
    });
    expect(of('MutatingWebhookConfiguration')[0].webhooks[0]).toMatchObject({
      clientConfig: { service: { path: '/mutate' } },
    });
    // The webhook's own pods are outside its selector, so it never blocks its own rollout.
    expect(
      podLabels(deployments.find((d) => d.metadata.name === 'admission')!)[
        SERVICE_LABEL
      ],
    ).toBeUndefined();
  });

  it('mounts the webhook’s certificate Secret where the app reads it', () => {
    const d = deployments.find((x) => x.metadata.name === 'admission')!;
    const mount = (containerOf(d).volumeMounts as Obj[])[0];
    const volume = (d.spec.template.spec.volumes as Obj[]).find(
      (v) => v.name === mount.name,
    )!;
    expect(volume.secret.secretName).toBe('admission-tls');
    expect(envOf(d).ADMISSION_TLS_CERT_FILE).toBe(`${mount.mountPath}/tls.crt`);
    expect(envOf(d).ADMISSION_TLS_KEY_FILE).toBe(`${mount.mountPath}/tls.key`);
    expect(readFileSync(join(dir, 'webhook-certs.sh'), 'utf8')).toContain(
      'create secret tls admission-tls',
    );
  });

  it('ships no secret: every Secret a pod uses is generated from git-ignored files, or made by a script', () => {
    expect(of('Secret')).toEqual([]);
    for (const file of execFileSync('git', ['-C', root, 'ls-files', 'deploy'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean))
      expect({
        file,
        devSecret: readFileSync(join(root, file), 'utf8').includes(
          DEVELOPMENT_JWT_SECRET,
        ),
      }).toEqual({ file, devSecret: false });
    const used = deployments.flatMap((d) => [
      ...(containerOf(d).env as Obj[])
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => e.valueFrom.secretKeyRef.name as string),
      ...((d.spec.template.spec.volumes ?? []) as Obj[])
        .filter((v) => v.secret)
        .map((v) => v.secret.secretName as string),
    ]);
    for (const name of used) {
      if (SCRIPTED_SECRETS[name])
        expect(
          readFileSync(join(dir, SCRIPTED_SECRETS[name]), 'utf8'),
        ).toContain(`secret tls ${name}`);
      else expect(Object.keys(generated)).toContain(name);
    }
    const sources = [
      ...new Set(Object.values(generated).flatMap((g) => Object.values(g))),
    ];
    expect(sources.filter((f) => !f.startsWith('secrets/'))).toEqual([]);
    const ignored = execFileSync(
      'git',
      ['-C', dir, 'check-ignore', '--no-index', ...sources],
      { encoding: 'utf8' },
    );
    expect(ignored.split('\n').filter(Boolean).sort()).toEqual(
      [...sources].sort(),
    );
  });

  it.each(tierDeployments.map((d) => [d.metadata.name as string, d] as const))(
    '%s: mutual TLS from its own Secret (the CA, its certificate and key), mounted read-only where GRPC_TLS_* point',
    (name, d) => {
      const mount = (containerOf(d).volumeMounts as Obj[]).find(
        (m) => m.name === 'grpc-tls',
      )!;
      expect(mount.readOnly).toBe(true);
      const volume = (d.spec.template.spec.volumes as Obj[]).find(
        (v) => v.name === mount.name,
      )!;
      expect(volume.secret.secretName).toBe(`grpc-tls-${name}`);
      expect(generated[`grpc-tls-${name}`]).toEqual({
        'ca.crt': 'secrets/grpc-tls/ca.crt',
        'tls.crt': `secrets/grpc-tls/${name}.crt`,
        'tls.key': `secrets/grpc-tls/${name}.key`,
      });
      const env = envOf(d);
      expect({
        ca: env.GRPC_TLS_CA,
        cert: env.GRPC_TLS_CERT,
        key: env.GRPC_TLS_KEY,
      }).toEqual({
        ca: `${mount.mountPath}/ca.crt`,
        cert: `${mount.mountPath}/tls.crt`,
        key: `${mount.mountPath}/tls.key`,
      });
    },
  );

  describe('generate-secrets.sh', () => {
    let out: string;
    /** Where a generated Secret's file is, in the script's output. */
    const source = (file: string) => join(out, file.replace(/^secrets\//, ''));
    const files = () =>
      Object.values(generated)
        .flatMap((g) => Object.values(g))
        .map((f) => [f, readFileSync(source(f), 'utf8')] as const);

    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'deadline-relay-k8s-secrets-'));
      execFileSync('bash', [join(dir, 'generate-secrets.sh'), out], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    });
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('writes every file the secretGenerator reads, and keeps them when run again', () => {
      const first = files();
      execFileSync('bash', [join(dir, 'generate-secrets.sh'), out], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      expect(files()).toEqual(first);
    });

    it.each(
      tierDeployments.map((d) => [d.metadata.name as string, d] as const),
    )(
      '%s: its environment, with the generated Secrets where the pod gets them, passes its start-up validation in production',
      (name, d) => {
        const mount = (containerOf(d).volumeMounts as Obj[]).find(
          (m) => m.name === 'grpc-tls',
        )!;
        const secretName = (d.spec.template.spec.volumes as Obj[]).find(
          (v) => v.name === mount.name,
        )!.secret.secretName as string;
        const env: Record<string, string> = { NODE_ENV: 'production' };
        for (const e of containerOf(d).env as Obj[]) {
          if ('value' in e) env[e.name] = String(e.value);
          else {
            const { name: secret, key } = e.valueFrom.secretKeyRef;
            const [envFile] = Object.values(generated[secret]);
            const line = readFileSync(source(envFile), 'utf8')
              .split('\n')
              .find((l) => l.startsWith(`${key}=`));
            env[e.name] = line!.slice(key.length + 1);
          }
        }
        // The mounted files are the Secret's keys, read from the generated files.
        for (const [key, file] of Object.entries(generated[secretName]))
          for (const variable of [
            'GRPC_TLS_CA',
            'GRPC_TLS_CERT',
            'GRPC_TLS_KEY',
          ])
            if (env[variable] === `${mount.mountPath}/${key}`)
              env[variable] = source(file);
        expect(() =>
          parseEnv(ENV_SPECS[name] as unknown as EnvSpec, env),
        ).not.toThrow();
        if (name === 'auth')
          expect(env.AUTH_JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
      },
    );

    it('signs each tier’s certificate with the one CA, for the names its callers dial (the Service, in and out of the namespace)', () => {
      const ca = new X509Certificate(
        readFileSync(source('secrets/grpc-tls/ca.crt')),
      );
      for (const d of tierDeployments) {
        const name = d.metadata.name as string;
        const cert = new X509Certificate(
          readFileSync(source(`secrets/grpc-tls/${name}.crt`)),
        );
        expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
        for (const host of [
          name,
          `${name}.${kustomization.namespace}`,
          `${name}.${kustomization.namespace}.svc`,
        ])
          expect({ host, named: cert.checkHost(host) }).toEqual({
            host,
            named: host,
          });
      }
    });
  });
});
