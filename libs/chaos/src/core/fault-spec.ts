/** What a handler fault does to a call it catches. */
export type FaultKind = 'delay' | 'error' | 'abort' | 'hang';
export const FAULT_KINDS: readonly FaultKind[] = [
  'delay',
  'error',
  'abort',
  'hang',
];

/** gRPC status names, by code (1..16), so a fault can be given `UNAVAILABLE` or `14`. */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/**
 * One handler fault, as ChaosBlade's `blade create … delay --time 800`: which calls it catches
 * and what it does to them. Validated by {@link parseFaultSpec}.
 */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** gRPC method name as in the proto (`Reserve`), or `*` for every method. @default '*' */
  readonly method: string;
  /** Share of matching calls caught, 0..100. @default 100 */
  readonly percent: number;
  /** Most calls the fault holds at once (ChaosBlade's `--thread-count`); calls past it pass untouched. @default unlimited */
  readonly maxConcurrent?: number;
  /** Clears itself this long after it was added. @default never (until `DELETE`) */
  readonly durationMs?: number;
  /** `delay`: how long each caught call is held. */
  readonly delayMs?: number;
  /** `delay`: uniform ± spread around `delayMs`. @default 0 */
  readonly jitterMs?: number;
  /** `error`: the gRPC status answered (1..16). @default 14 (UNAVAILABLE) */
  readonly code?: number;
}

const MAX_DELAY_MS = 600_000;
const MAX_DURATION_MS = 24 * 3_600_000;
const KNOWN_FIELDS = new Set([
  'kind',
  'method',
  'percent',
  'maxConcurrent',
  'durationMs',
  'delayMs',
  'jitterMs',
  'code',
]);

/**
 * Reads a fault from untrusted input (an admin request body): the spec, or a sentence saying
 * what is wrong with it. Every bound is checked; unknown fields are refused, so a typo never
 * silently becomes a default.
 */
export function parseFaultSpec(input: unknown): FaultSpec | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'a fault must be a JSON object';
  const raw = input as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length)
    return `unknown field ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}; known: ${[...KNOWN_FIELDS].join(', ')}`;

  const kind = raw.kind;
  if (
    typeof kind !== 'string' ||
    !(FAULT_KINDS as readonly string[]).includes(kind)
  )
    return `kind must be one of ${FAULT_KINDS.join(', ')}`;
  const method = raw.method ?? '*';
  if (
    typeof method !== 'string' ||
    !/^(\*|[A-Za-z_][A-Za-z0-9_]{0,99})$/.test(method)
  )
    return 'method must be a gRPC method name (e.g. "Reserve") or "*"';

  const percent = number(raw, 'percent', {
    min: 0,
    max: 100,
    integer: false,
    fallback: 100,
  });
  if (typeof percent === 'string') return percent;
  const maxConcurrent = number(raw, 'maxConcurrent', {
    min: 1,
    max: 1_000_000,
  });
  if (typeof maxConcurrent === 'string') return maxConcurrent;
  const durationMs = number(raw, 'durationMs', {
    min: 1,
    max: MAX_DURATION_MS,
  });
  if (typeof durationMs === 'string') return durationMs;

  const spec: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = {
    kind: kind as FaultKind,
    method,
    percent: percent!,
  };
  if (maxConcurrent !== undefined) spec.maxConcurrent = maxConcurrent;
  if (durationMs !== undefined) spec.durationMs = durationMs;

  if (kind === 'delay') {
    const delayMs = number(raw, 'delayMs', { min: 0, max: MAX_DELAY_MS });
    if (typeof delayMs === 'string') return delayMs;
    if (delayMs === undefined) return 'delayMs is required for a delay fault';
    const jitterMs = number(raw, 'jitterMs', {
      min: 0,
      max: MAX_DELAY_MS,
      fallback: 0,
    });
    if (typeof jitterMs === 'string') return jitterMs;
    spec.delayMs = delayMs;
    spec.jitterMs = jitterMs;
  } else if (raw.delayMs !== undefined || raw.jitterMs !== undefined) {
    return `delayMs and jitterMs apply to delay faults only, not ${kind}`;
  }

  if (kind === 'error') {
    const code = statusCode(raw.code ?? 14);
    if (typeof code === 'string') return code;
    spec.code = code;
  } else if (raw.code !== undefined) {
    return `code applies to error faults only, not ${kind}`;
  }
  return spec;
}

function number(
  raw: Record<string, unknown>,
  field: string,
  bounds: { min: number; max: number; integer?: boolean; fallback?: number },
): number | undefined | string {
  const value = raw[field];
  if (value === undefined) return bounds.fallback;
  const integer = bounds.integer ?? true;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value))
  )
    return `${field} must be ${integer ? 'a whole number' : 'a number'}`;
  if (value < bounds.min || value > bounds.max)
    return `${field} must be within ${bounds.min}..${bounds.max}, got ${value}`;
  return value;
}

function statusCode(value: unknown): number | string {
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 1 &&
    value <= 16
  )
    return value;
  if (typeof value === 'string') {
    const index = GRPC_STATUS_NAMES.indexOf(value.toUpperCase());
    if (index >= 1) return index;
  }
  return 'code must be a gRPC status from 1 to 16, by number or name (e.g. 14 or "UNAVAILABLE")';
}

/** Short human form, for logs and the command line: `delay 800±50 ms on Reserve, 30 %, max 10, 30000 ms`. */
export function describeFault(spec: FaultSpec): string {
  const what =
    spec.kind === 'delay'
      ? `delay ${spec.delayMs}${spec.jitterMs ? `±${spec.jitterMs}` : ''} ms`
      : spec.kind === 'error'
        ? `error ${GRPC_STATUS_NAMES[spec.code ?? 14]}`
        : spec.kind;
  const parts = [
    `${what} on ${spec.method === '*' ? 'every method' : spec.method}`,
    `${spec.percent} %`,
  ];
  if (spec.maxConcurrent !== undefined)
    parts.push(`at most ${spec.maxConcurrent} at once`);
  if (spec.durationMs !== undefined) parts.push(`for ${spec.durationMs} ms`);
  return parts.join(', ');
}
