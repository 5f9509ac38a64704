import {
  type AdmissionRequest,
  type AdmissionResponse,
  isObject,
} from './admission-review.js';

/** Label that marks a workload as a Deadline Relay service (its value: the service's name). */
export const SERVICE_LABEL = 'deadline-relay.dev/service';
/** The one annotation in which a workload declares its timeout budget: the largest it accepts, whole ms. */
export const BUDGET_ANNOTATION = 'deadline-relay.dev/timeout-budget-ms';
/** The route timeout of the workload's sidecar (Envoy), whole ms; never above the budget. */
export const SIDECAR_TIMEOUT_ANNOTATION =
  'deadline-relay.dev/sidecar-timeout-ms';
/** The per-hop reserve the workload keeps back, whole ms (mirrors DEADLINE_RESERVE_MS). */
export const RESERVE_ANNOTATION = 'deadline-relay.dev/reserve-ms';
export const RESERVE_ENV = 'DEADLINE_RESERVE_MS';

export interface AdmissionPolicyOptions {
  /** Largest budget a workload may declare. @default 30000 */
  readonly maxBudgetMs?: number;
  /** Budget the mutating webhook adds when none is declared. @default 5000 */
  readonly defaultBudgetMs?: number;
  /** Reserve the mutating webhook adds when none is set. @default 10 */
  readonly defaultReserveMs?: number;
}

/** Where a kind keeps its pod template, as a JSON Pointer prefix and the objects found there. */
interface Workload {
  readonly title: string;
  readonly podPath: string;
  readonly where: string;
  readonly metadata: Record<string, unknown> | undefined;
  readonly spec: Record<string, unknown>;
}

type WorkloadLookup =
  | { readonly kind: 'pass' }
  | { readonly kind: 'unreadable'; readonly message: string }
  | { readonly kind: 'workload'; readonly workload: Workload };
const PASS: WorkloadLookup = { kind: 'pass' };
const unreadable = (message: string): WorkloadLookup => ({
  kind: 'unreadable',
  message,
});

const WHOLE_MS = /^\d{1,9}$/;

/**
 * The cluster's timeout policy, as the validating and mutating webhooks apply it. Pure: no I/O, so the
 * same request (dry run or not) always gets the same answer.
 */
export class AdmissionPolicy {
  readonly maxBudgetMs: number;
  readonly defaultBudgetMs: number;
  readonly defaultReserveMs: number;

  constructor(options: AdmissionPolicyOptions = {}) {
    this.maxBudgetMs = options.maxBudgetMs ?? 30_000;
    this.defaultBudgetMs = options.defaultBudgetMs ?? 5_000;
    this.defaultReserveMs = options.defaultReserveMs ?? 10;
    if (this.defaultBudgetMs > this.maxBudgetMs) {
      throw new RangeError(
        `default budget ${this.defaultBudgetMs} ms is above the maximum ${this.maxBudgetMs} ms`,
      );
    }
  }

  /** Refuses a service's workload whose budget is missing, malformed or too large, or whose sidecar outwaits it. */
  validate(request: AdmissionRequest): AdmissionResponse {
    const lookup = this.workloadOf(request);
    if (lookup.kind === 'pass') return { uid: request.uid, allowed: true };
    if (lookup.kind === 'unreadable')
      return {
        uid: request.uid,
        allowed: false,
        status: { code: 400, message: lookup.message },
      };
    const found = lookup.workload;
    const problems = this.problemsOf(found);
    if (problems.length === 0) return { uid: request.uid, allowed: true };
    return {
      uid: request.uid,
      allowed: false,
      status: { code: 403, message: `${found.title}: ${problems.join(' ')}` },
    };
  }

  /** Adds the default budget and reserve (annotations, container env) where missing; never changes what is set. */
  mutate(request: AdmissionRequest): AdmissionResponse {
    const lookup = this.workloadOf(request);
    // An object the validating webhook will refuse anyway is not this webhook's to block.
    if (lookup.kind !== 'workload') return { uid: request.uid, allowed: true };
    const found = lookup.workload;
    const patch: { op: 'add'; path: string; value: unknown }[] = [];
    const warnings: string[] = [];
    const annotations = isObject(found.metadata?.annotations)
      ? found.metadata.annotations
      : undefined;
    const reserve =
      typeof annotations?.[RESERVE_ANNOTATION] === 'string' &&
      WHOLE_MS.test(annotations[RESERVE_ANNOTATION])
        ? annotations[RESERVE_ANNOTATION]
        : String(this.defaultReserveMs);

    const missing: Record<string, string> = {};
    if (annotations?.[BUDGET_ANNOTATION] === undefined) {
      missing[BUDGET_ANNOTATION] = String(this.defaultBudgetMs);
      warnings.push(
        `deadline-relay: no timeout budget declared; added ${BUDGET_ANNOTATION}: "${this.defaultBudgetMs}"`,
      );
    }
    if (annotations?.[RESERVE_ANNOTATION] === undefined)
      missing[RESERVE_ANNOTATION] = reserve;
    if (Object.keys(missing).length > 0) {
      if (!found.metadata)
        patch.push({
          op: 'add',
          path: `${found.podPath}/metadata`,
          value: { annotations: missing },
        });
      else if (!annotations)
        patch.push({
          op: 'add',
          path: `${found.podPath}/metadata/annotations`,
          value: missing,
        });
      else
        for (const [key, value] of Object.entries(missing))
          patch.push({
            op: 'add',
            path: `${found.podPath}/metadata/annotations/${pointer(key)}`,
            value,
          });
    }

    const containers = Array.isArray(found.spec.containers)
      ? found.spec.containers
      : [];
    containers.forEach((container, i) => {
      if (!isObject(container)) return;
      const env = Array.isArray(container.env) ? container.env : undefined;
      if (env?.some((e) => isObject(e) && e.name === RESERVE_ENV)) return;
      const variable = { name: RESERVE_ENV, value: reserve };
      const at = `${found.podPath}/spec/containers/${i}/env`;
      patch.push(
        env
          ? { op: 'add', path: `${at}/-`, value: variable }
          : { op: 'add', path: at, value: [variable] },
      );
    });

    if (patch.length === 0) return { uid: request.uid, allowed: true };
    return {
      uid: request.uid,
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /** The workload in a request, `pass` when the policy does not apply, or why the object is unreadable. */
  private workloadOf(request: AdmissionRequest): WorkloadLookup {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
      return PASS;
    const { group, kind } = request.kind;
    const isDeployment = group === 'apps' && kind === 'Deployment';
    const isPod = group === '' && kind === 'Pod';
    if (!isDeployment && !isPod) return PASS;
    const object = request.object;
    if (!isObject(object))
      return unreadable(`${kind}: request.object is missing or not an object`);
    const metadata = isObject(object.metadata) ? object.metadata : {};
    const name =
      [request.name, metadata.name, metadata.generateName].find(
        (n): n is string => typeof n === 'string' && n !== '',
      ) ?? '(unnamed)';
    const title = `${kind} ${request.namespace ? `${request.namespace}/` : ''}${name}`;
    if (isPod) {
      if (!isObject(object.spec))
        return unreadable(`${title}: spec is missing`);
      const labels = isObject(metadata.labels) ? metadata.labels : {};
      if (labels[SERVICE_LABEL] === undefined) return PASS;
      return {
        kind: 'workload',
        workload: {
          title,
          podPath: '',
          where: 'metadata.annotations',
          metadata: isObject(object.metadata) ? object.metadata : undefined,
          spec: object.spec,
        },
      };
    }
    const spec = isObject(object.spec) ? object.spec : undefined;
    const template =
      spec && isObject(spec.template) ? spec.template : undefined;
    if (!template || !isObject(template.spec))
      return unreadable(`${title}: spec.template.spec is missing`);
    const templateMeta = isObject(template.metadata)
      ? template.metadata
      : undefined;
    const labels = {
      ...(isObject(metadata.labels) ? metadata.labels : {}),
      ...(templateMeta && isObject(templateMeta.labels)
        ? templateMeta.labels
        : {}),
    };
    if (labels[SERVICE_LABEL] === undefined) return PASS;
    return {
      kind: 'workload',
      workload: {
        title,
        podPath: '/spec/template',
        where: 'spec.template.metadata.annotations',
        metadata: templateMeta,
        spec: template.spec,
      },
    };
  }

  private problemsOf(workload: Workload): string[] {
    const annotations = isObject(workload.metadata?.annotations)
      ? workload.metadata.annotations
      : {};
    const budgetRaw = annotations[BUDGET_ANNOTATION];
    const sidecarRaw = annotations[SIDECAR_TIMEOUT_ANNOTATION];
    const problems: string[] = [];
    let budget: number | undefined;
    if (budgetRaw === undefined) {
      problems.push(
        `declares no timeout budget. Add the annotation ${BUDGET_ANNOTATION} to ${workload.where}: whole milliseconds, at most ${this.maxBudgetMs} (e.g. "${this.defaultBudgetMs}").`,
      );
    } else if (
      typeof budgetRaw !== 'string' ||
      !WHOLE_MS.test(budgetRaw) ||
      Number(budgetRaw) === 0
    ) {
      problems.push(
        `${BUDGET_ANNOTATION} is ${JSON.stringify(budgetRaw)}; write a positive whole number of milliseconds, e.g. "${this.defaultBudgetMs}".`,
      );
    } else {
      budget = Number(budgetRaw);
      if (budget > this.maxBudgetMs) {
        problems.push(
          `timeout budget ${budget} ms exceeds the cluster maximum of ${this.maxBudgetMs} ms; set ${BUDGET_ANNOTATION} to ${this.maxBudgetMs} or less.`,
        );
      }
    }
    if (sidecarRaw !== undefined) {
      if (typeof sidecarRaw !== 'string' || !WHOLE_MS.test(sidecarRaw)) {
        problems.push(
          `${SIDECAR_TIMEOUT_ANNOTATION} is ${JSON.stringify(sidecarRaw)}; write a whole number of milliseconds, e.g. "${budget ?? this.defaultBudgetMs}".`,
        );
      } else if (budget !== undefined && Number(sidecarRaw) > budget) {
        problems.push(
          `sidecar timeout ${sidecarRaw} ms (${SIDECAR_TIMEOUT_ANNOTATION}) is larger than the timeout budget ${budget} ms, so the sidecar would hold calls the deadline has ended; set it to ${budget} or less.`,
        );
      }
    }
    return problems;
  }
}

/** A key as one JSON Pointer token (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
