import { applyPatch, type Operation } from 'fast-json-patch';
import type { AdmissionRequest } from './admission-review.js';
import {
  AdmissionPolicy,
  BUDGET_ANNOTATION,
  pointer,
  RESERVE_ANNOTATION,
  SERVICE_LABEL,
  SIDECAR_TIMEOUT_ANNOTATION,
} from './admission.policy.js';

function deployment(
  annotations?: Record<string, string>,
  env?: { name: string; value: string }[],
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'payment', labels: { app: 'payment' } },
    spec: {
      selector: { matchLabels: { app: 'payment' } },
      template: {
        metadata: {
          labels: { app: 'payment', [SERVICE_LABEL]: 'payment' },
          ...(annotations ? { annotations } : {}),
        },
        spec: {
          containers: [
            {
              name: 'payment',
              image: 'deadline-relay:1',
              ...(env ? { env } : {}),
            },
          ],
        },
      },
    },
  };
}

const review = (
  object: unknown,
  overrides: Partial<AdmissionRequest> = {},
): AdmissionRequest => ({
  uid: 'u-1',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  operation: 'CREATE',
  namespace: 'shop',
  name: 'payment',
  object,
  ...overrides,
});

const patched = (object: unknown, patch: string | undefined) =>
  applyPatch(
    structuredClone(object),
    JSON.parse(Buffer.from(patch!, 'base64').toString('utf8')) as Operation[],
    true,
    false,
  ).newDocument;

describe(AdmissionPolicy.name, () => {
  const sut = new AdmissionPolicy({
    maxBudgetMs: 30_000,
    defaultBudgetMs: 5_000,
    defaultReserveMs: 10,
  });

  it('admits a service that declares a budget within the maximum and a sidecar timeout within the budget', () => {
    expect(
      sut.validate(
        review(
          deployment({
            [BUDGET_ANNOTATION]: '29990',
            [SIDECAR_TIMEOUT_ANNOTATION]: '29990',
          }),
        ),
      ),
    ).toEqual({ uid: 'u-1', allowed: true });
  });

  it('refuses a service that declares no budget, saying where to declare it', () => {
    expect(sut.validate(review(deployment()))).toEqual({
      uid: 'u-1',
      allowed: false,
      status: {
        code: 403,
        message: `Deployment shop/payment: declares no timeout budget. Add the annotation ${BUDGET_ANNOTATION} to spec.template.metadata.annotations: whole milliseconds, at most 30000 (e.g. "5000").`,
      },
    });
  });

  it('refuses a budget above the cluster maximum', () => {
    expect(
      sut.validate(review(deployment({ [BUDGET_ANNOTATION]: '60000' }))).status!
        .message,
    ).toBe(
      `Deployment shop/payment: timeout budget 60000 ms exceeds the cluster maximum of 30000 ms; set ${BUDGET_ANNOTATION} to 30000 or less.`,
    );
  });

  it('refuses a sidecar timeout larger than the budget', () => {
    expect(
      sut.validate(
        review(
          deployment({
            [BUDGET_ANNOTATION]: '2000',
            [SIDECAR_TIMEOUT_ANNOTATION]: '15000',
          }),
        ),
      ).status!.message,
    ).toBe(
      `Deployment shop/payment: sidecar timeout 15000 ms (${SIDECAR_TIMEOUT_ANNOTATION}) is larger than the timeout budget 2000 ms, so the sidecar would hold calls the deadline has ended; set it to 2000 or less.`,
    );
  });

  it('refuses a budget written with a unit', () => {
    expect(
      sut.validate(review(deployment({ [BUDGET_ANNOTATION]: '5s' }))).status!
        .message,
    ).toBe(
      `Deployment shop/payment: ${BUDGET_ANNOTATION} is "5s"; write a positive whole number of milliseconds, e.g. "5000".`,
    );
  });

  it('lets a workload that is not a Deadline Relay service through untouched', () => {
    const other = deployment();
    delete (
      other.spec as {
        template: { metadata: { labels: Record<string, string> } };
      }
    ).template.metadata.labels[SERVICE_LABEL];
    expect(sut.validate(review(other))).toEqual({ uid: 'u-1', allowed: true });
    expect(sut.mutate(review(other))).toEqual({ uid: 'u-1', allowed: true });
  });

  it('lets unknown kinds and deletions through', () => {
    expect(
      sut.validate(
        review({}, { kind: { group: '', version: 'v1', kind: 'ConfigMap' } }),
      ),
    ).toEqual({ uid: 'u-1', allowed: true });
    expect(sut.validate(review(null, { operation: 'DELETE' }))).toEqual({
      uid: 'u-1',
      allowed: true,
    });
  });

  it('answers 400 for a Deployment without a pod template', () => {
    expect(sut.validate(review({ metadata: { name: 'x' }, spec: {} }))).toEqual(
      {
        uid: 'u-1',
        allowed: false,
        status: {
          code: 400,
          message: 'Deployment shop/payment: spec.template.spec is missing',
        },
      },
    );
  });

  it('adds the default budget, reserve annotation and reserve env where all are missing', () => {
    const object = deployment();
    const response = sut.mutate(review(object));
    expect(response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
    const result = patched(object, response.patch) as ReturnType<
      typeof deployment
    > & {
      spec: {
        template: {
          metadata: { annotations: object };
          spec: { containers: { env: object[] }[] };
        };
      };
    };
    expect(result.spec.template.metadata.annotations).toEqual({
      [BUDGET_ANNOTATION]: '5000',
      [RESERVE_ANNOTATION]: '10',
    });
    expect(result.spec.template.spec.containers[0].env).toEqual([
      { name: 'DEADLINE_RESERVE_MS', value: '10' },
    ]);
  });

  it('never changes what is already set', () => {
    const object = deployment(
      { [BUDGET_ANNOTATION]: '1200', [RESERVE_ANNOTATION]: '25' },
      [{ name: 'DEADLINE_RESERVE_MS', value: '40' }],
    );
    expect(sut.mutate(review(object))).toEqual({ uid: 'u-1', allowed: true });
  });

  it('appends the reserve env to existing env, using the declared reserve', () => {
    const object = deployment({ [RESERVE_ANNOTATION]: '25', other: 'kept' }, [
      { name: 'LOG_FORMAT', value: 'json' },
    ]);
    const result = patched(object, sut.mutate(review(object)).patch) as {
      spec: {
        template: {
          metadata: { annotations: object };
          spec: { containers: { env: object[] }[] };
        };
      };
    };
    expect(result.spec.template.metadata.annotations).toEqual({
      [RESERVE_ANNOTATION]: '25',
      other: 'kept',
      [BUDGET_ANNOTATION]: '5000',
    });
    expect(result.spec.template.spec.containers[0].env).toEqual([
      { name: 'LOG_FORMAT', value: 'json' },
      { name: 'DEADLINE_RESERVE_MS', value: '25' },
    ]);
  });

  it('escapes annotation keys as JSON Pointer tokens', () => {
    expect(pointer('deadline-relay.dev/timeout-budget-ms')).toBe(
      'deadline-relay.dev~1timeout-budget-ms',
    );
    expect(pointer('a~b')).toBe('a~0b');
  });

  it('refuses a default budget above the maximum at construction', () => {
    expect(
      () => new AdmissionPolicy({ maxBudgetMs: 1_000, defaultBudgetMs: 5_000 }),
    ).toThrow('default budget 5000 ms is above the maximum 1000 ms');
  });
});
