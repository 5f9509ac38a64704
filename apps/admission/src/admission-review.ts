/** The parts of `admission.k8s.io/v1` AdmissionReview this webhook reads and writes. */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly namespace?: string;
  readonly name?: string;
  readonly object?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly message: string };
  readonly patchType?: 'JSONPatch';
  /** Base64 of the JSON Patch (RFC 6902). */
  readonly patch?: string;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewReply {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** Why a body is not an AdmissionReview this webhook can answer (no uid to answer to). */
export class InvalidAdmissionReviewError extends Error {
  readonly tag = 'invalid_admission_review' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAdmissionReviewError';
  }
  static is(error: unknown): error is InvalidAdmissionReviewError {
    return error instanceof InvalidAdmissionReviewError;
  }
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** Parses an untrusted body into a request, or says exactly what is wrong with it. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body))
    throw new InvalidAdmissionReviewError(
      'body must be a JSON object (an AdmissionReview)',
    );
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    throw new InvalidAdmissionReviewError(
      `apiVersion must be "${ADMISSION_API_VERSION}", got ${JSON.stringify(body.apiVersion ?? null)}`,
    );
  }
  if (body.kind !== 'AdmissionReview')
    throw new InvalidAdmissionReviewError(
      `kind must be "AdmissionReview", got ${JSON.stringify(body.kind ?? null)}`,
    );
  const request = body.request;
  if (!isObject(request))
    throw new InvalidAdmissionReviewError('request is missing');
  if (typeof request.uid !== 'string' || request.uid === '')
    throw new InvalidAdmissionReviewError(
      'request.uid must be a non-empty string',
    );
  const kind = request.kind;
  if (
    !isObject(kind) ||
    typeof kind.kind !== 'string' ||
    typeof kind.version !== 'string' ||
    typeof kind.group !== 'string'
  ) {
    throw new InvalidAdmissionReviewError(
      'request.kind must be {group, version, kind}',
    );
  }
  if (
    typeof request.operation !== 'string' ||
    !OPERATIONS.has(request.operation)
  ) {
    throw new InvalidAdmissionReviewError(
      `request.operation must be one of ${[...OPERATIONS].join(', ')}`,
    );
  }
  return {
    uid: request.uid,
    kind: { group: kind.group, version: kind.version, kind: kind.kind },
    operation: request.operation as AdmissionRequest['operation'],
    namespace:
      typeof request.namespace === 'string' ? request.namespace : undefined,
    name: typeof request.name === 'string' ? request.name : undefined,
    object: request.object,
    dryRun: request.dryRun === true,
  };
}

export function reviewReply(response: AdmissionResponse): AdmissionReviewReply {
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview',
    response,
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
