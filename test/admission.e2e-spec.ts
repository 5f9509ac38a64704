/* eslint-disable @typescript-eslint/no-explicit-any -- reviews and replies are JSON from the wire, asserted on field by field */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { freePort, repoRoot, TierProcess } from '../tools/stack/index.js';

// The admission webhook as Kubernetes calls it: a separate process serving HTTPS with a certificate from
// a CA made here, and a client that verifies it against that CA bundle (as the API server does with
// caBundle). The requests are the fixtures in test/fixtures/admission/reviews (real objects, see README).
const BUDGET = 'deadline-relay.dev/timeout-budget-ms';
const RESERVE = 'deadline-relay.dev/reserve-ms';
const SIDECAR = 'deadline-relay.dev/sidecar-timeout-ms';

type Review = {
  apiVersion: string;
  kind: string;
  request: { uid: string; dryRun: boolean; object: Record<string, any> };
};
interface Reply {
  status: number;
  body: any;
}

const fixture = (name: string): Review =>
  JSON.parse(
    readFileSync(
      join(repoRoot(), 'test/fixtures/admission/reviews', `${name}.json`),
      'utf8',
    ),
  ) as Review;

/** Makes a CA and a server certificate for 127.0.0.1 with the openssl CLI. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) =>
    execFileSync('openssl', args, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=deadline-relay test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=admission.deadline-relay.svc',
    '-keyout',
    'tls.key',
    '-out',
    'tls.csr',
  );
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:admission.deadline-relay.svc\nextendedKeyUsage=serverAuth\n',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'tls.crt',
  );
}

describe('admission webhook over HTTPS (AdmissionReview v1)', () => {
  let dir: string;
  let port: number;
  let ca: Buffer;
  let webhook: TierProcess;

  function post(
    path: string,
    body: string | object,
    trust: Buffer | null = ca,
  ): Promise<Reply> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          ca: trust ?? undefined,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  const patchOf = (reply: Reply): Operation[] =>
    JSON.parse(
      Buffer.from(reply.body.response.patch as string, 'base64').toString(
        'utf8',
      ),
    ) as Operation[];
  const applied = (review: Review, reply: Reply): Review => ({
    ...review,
    request: {
      ...review.request,
      object: applyPatch(
        structuredClone(review.request.object),
        patchOf(reply),
        true,
        false,
      ).newDocument,
    },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deadline-relay-admission-'));
    makeCertificates(dir);
    ca = readFileSync(join(dir, 'ca.crt'));
    port = await freePort();
    webhook = new TierProcess({
      name: 'admission',
      script: join(repoRoot(), 'dist/apps/admission/src/main.js'),
      env: {
        ...process.env,
        BIND_HOST: '127.0.0.1',
        ADMISSION_PORT: String(port),
        ADMISSION_TLS_CERT_FILE: join(dir, 'tls.crt'),
        ADMISSION_TLS_KEY_FILE: join(dir, 'tls.key'),
        ADMISSION_MAX_BUDGET_MS: '30000',
        ADMISSION_DEFAULT_BUDGET_MS: '5000',
        ADMISSION_DEFAULT_RESERVE_MS: '10',
      },
    });
    await webhook.start();
  }, 60_000);

  afterAll(async () => {
    await webhook?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves TLS that verifies against the CA bundle, and nothing a client without it would trust', async () => {
    const review = fixture('configmap-create');
    expect((await post('/validate', review)).status).toBe(200);
    await expect(post('/validate', review, null)).rejects.toMatchObject({
      code: expect.stringMatching(
        /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
      ),
    });
  });

  it('refuses a Deployment made by kubectl that declares no budget, saying what to add and where', async () => {
    const reply = await post(
      '/validate',
      fixture('deployment-create-no-budget'),
    );
    expect(reply).toEqual({
      status: 200,
      body: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid: '0b8a3f8e-1c1e-4a7b-9d3c-5f1e2a7c9b01',
          allowed: false,
          status: {
            code: 403,
            message: `Deployment shop/checkout: declares no timeout budget. Add the annotation ${BUDGET} to spec.template.metadata.annotations: whole milliseconds, at most 30000 (e.g. "5000").`,
          },
        },
      },
    });
  });

  it('mutates that Deployment with a JSON Patch adding the default budget and reserve, which then passes validation', async () => {
    const review = fixture('deployment-create-no-budget');
    const reply = await post('/mutate', review);
    expect(reply.body.response).toMatchObject({
      uid: review.request.uid,
      allowed: true,
      patchType: 'JSONPatch',
      warnings: [
        `deadline-relay: no timeout budget declared; added ${BUDGET}: "5000"`,
      ],
    });
    expect(patchOf(reply)).toEqual([
      {
        op: 'add',
        path: '/spec/template/metadata/annotations',
        value: { [BUDGET]: '5000', [RESERVE]: '10' },
      },
      {
        op: 'add',
        path: '/spec/template/spec/containers/0/env',
        value: [{ name: 'DEADLINE_RESERVE_MS', value: '10' }],
      },
    ]);
    const mutated = applied(review, reply);
    expect(mutated.request.object.spec.template.metadata).toEqual({
      creationTimestamp: null,
      labels: { app: 'checkout', 'deadline-relay.dev/service': 'checkout' },
      annotations: { [BUDGET]: '5000', [RESERVE]: '10' },
    });
    // Everything else is as kubectl made it.
    const { template: _t, ...restOfSpec } = mutated.request.object.spec;
    const { template: _o, ...originalRest } = review.request.object.spec;
    expect(restOfSpec).toEqual(originalRest);
    expect((await post('/validate', mutated)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
    // Mutating again changes nothing: the defaults are now set.
    expect((await post('/mutate', mutated)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
  });

  it('admits the project’s own order Deployment and leaves it untouched', async () => {
    const review = fixture('deployment-create-project-order');
    expect((await post('/validate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
    expect((await post('/mutate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
  });

  it('refuses an UPDATE that raises the budget above the cluster maximum', async () => {
    const reply = await post(
      '/validate',
      fixture('deployment-update-budget-too-large'),
    );
    expect(reply.body.response).toEqual({
      uid: '0b8a3f8e-1c1e-4a7b-9d3c-5f1e2a7c9b03',
      allowed: false,
      status: {
        code: 403,
        message: `Deployment deadline-relay/order: timeout budget 60000 ms exceeds the cluster maximum of 30000 ms; set ${BUDGET} to 30000 or less.`,
      },
    });
  });

  it('refuses a sidecar timeout larger than the budget', async () => {
    const reply = await post(
      '/validate',
      fixture('deployment-create-sidecar-too-long'),
    );
    expect(reply.body.response.status).toEqual({
      code: 403,
      message: `Deployment deadline-relay/gateway: sidecar timeout 45000 ms (${SIDECAR}) is larger than the timeout budget 30000 ms, so the sidecar would hold calls the deadline has ended; set it to 30000 or less.`,
    });
  });

  it('refuses a Pod with no budget and patches one into its own metadata', async () => {
    const review = fixture('pod-create-no-budget');
    expect((await post('/validate', review)).body.response.status).toEqual({
      code: 403,
      message: `Pod shop/checkout-6c9f7d5b8-: declares no timeout budget. Add the annotation ${BUDGET} to metadata.annotations: whole milliseconds, at most 30000 (e.g. "5000").`,
    });
    const reply = await post('/mutate', review);
    expect(patchOf(reply)).toEqual([
      {
        op: 'add',
        path: '/metadata/annotations',
        value: { [BUDGET]: '5000', [RESERVE]: '10' },
      },
      {
        op: 'add',
        path: '/spec/containers/0/env',
        value: [{ name: 'DEADLINE_RESERVE_MS', value: '10' }],
      },
    ]);
    const mutated = applied(review, reply);
    expect(mutated.request.object.metadata.labels).toEqual(
      review.request.object.metadata.labels,
    );
    expect((await post('/validate', mutated)).body.response.allowed).toBe(true);
  });

  it('answers a dry run exactly as the same request, and logs it as a dry run', async () => {
    const real = fixture('pod-create-no-budget');
    const dry = fixture('pod-create-no-budget-dry-run');
    expect(dry.request.dryRun).toBe(true);
    for (const path of ['/validate', '/mutate']) {
      const [a, b] = [await post(path, real), await post(path, dry)];
      expect({ ...b.body.response, uid: 'x' }).toEqual({
        ...a.body.response,
        uid: 'x',
      });
      expect(b.body.response.uid).toBe(dry.request.uid);
    }
    await webhook.waitFor(
      (e) =>
        e.msg === 'admission decision' &&
        e.uid === dry.request.uid &&
        e.dryRun === true &&
        e.webhook === 'mutate',
    );
  });

  it('admits the Pod a ReplicaSet makes from the project’s payment Deployment, untouched', async () => {
    const review = fixture('pod-create-project-payment');
    expect((await post('/validate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
    expect((await post('/mutate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
  });

  it('lets a kind it does not know pass both webhooks', async () => {
    const review = fixture('configmap-create');
    expect((await post('/validate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
    expect((await post('/mutate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
  });

  it.each([
    [
      'a body that is not JSON',
      '{"apiVersion": "admission.k8s.io/v1",',
      /^body is not JSON: /,
    ],
    [
      'an older AdmissionReview version',
      {
        ...fixture('configmap-create'),
        apiVersion: 'admission.k8s.io/v1beta1',
      },
      /^apiVersion must be "admission\.k8s\.io\/v1", got "admission\.k8s\.io\/v1beta1"$/,
    ],
    [
      'a review without a request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      /^request is missing$/,
    ],
    [
      'a request without a uid',
      {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { ...fixture('configmap-create').request, uid: '' },
      },
      /^request\.uid must be a non-empty string$/,
    ],
    [
      'a JSON array',
      '[]',
      /^body must be a JSON object \(an AdmissionReview\)$/,
    ],
  ])(
    'answers %s with a 400 that says what is wrong, and keeps serving',
    async (_, body, message) => {
      for (const path of ['/validate', '/mutate']) {
        const reply = await post(path, body);
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({
          statusCode: 400,
          error: 'invalid_admission_review',
          message: expect.stringMatching(message),
        });
      }
      expect(webhook.running).toBe(true);
      expect(
        (await post('/validate', fixture('configmap-create'))).status,
      ).toBe(200);
    },
  );

  it('answers 400, not a crash, for a Deployment without a pod template', async () => {
    const review = fixture('deployment-create-no-budget');
    review.request.object = { ...review.request.object, spec: { replicas: 1 } };
    expect((await post('/validate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: false,
      status: {
        code: 400,
        message: 'Deployment shop/checkout: spec.template.spec is missing',
      },
    });
    expect((await post('/mutate', review)).body.response).toEqual({
      uid: review.request.uid,
      allowed: true,
    });
  });
});
