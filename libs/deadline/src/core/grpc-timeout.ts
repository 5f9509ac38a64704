import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { err, ok, type Result } from './result.js';

/**
 * The `grpc-timeout` header, per the gRPC over HTTP/2 spec:
 * `TimeoutValue TimeoutUnit`, value = at most 8 ASCII digits, unit one of `H M S m u n`.
 * A zero value is accepted (as an already-expired budget), as grpc-java and grpc-js do.
 */
export const GRPC_TIMEOUT_HEADER = 'grpc-timeout';

const MAX_VALUE = 99_999_999;
const UNIT_MS = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
} as const;
type Unit = keyof typeof UNIT_MS;
/** Finest first: formatting picks the first unit whose value fits in 8 digits. */
const UNITS_FINEST_FIRST: readonly Unit[] = ['n', 'u', 'm', 'S', 'M', 'H'];
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/** Largest budget the header can carry: 99,999,999 hours. */
export const MAX_GRPC_TIMEOUT_MS = MAX_VALUE * UNIT_MS.H;

/** Parses a `grpc-timeout` value into milliseconds (fractional for `u` and `n`). Anything else is refused. */
export function parseGrpcTimeout(
  value: string,
): Result<number, InvalidTimeoutError> {
  const match = GRPC_TIMEOUT.exec(value);
  if (match === null) {
    return err(
      new InvalidTimeoutError(
        GRPC_TIMEOUT_HEADER,
        `"${truncate(value)}" is not 1-8 digits followed by one of H M S m u n`,
      ),
    );
  }
  return ok(Number(match[1]) * UNIT_MS[match[2] as Unit]);
}

/**
 * Formats a budget for the wire in the finest unit whose value fits 8 digits, rounding up so a
 * receiver never sees less time than we meant to give. Negative budgets become `0n`; budgets
 * beyond the header's range are capped at its maximum.
 */
export function formatGrpcTimeout(budgetMs: number): string {
  if (!(budgetMs > 0)) return '0n';
  for (const unit of UNITS_FINEST_FIRST) {
    const value = ceilExact(budgetMs / UNIT_MS[unit]);
    if (value <= MAX_VALUE) return `${value}${unit}`;
  }
  return `${MAX_VALUE}H`;
}

/** Math.ceil that ignores floating-point dust (12345.678 / 1e-3 = 12345678.000000002). */
function ceilExact(x: number): number {
  const nearest = Math.round(x);
  return Math.abs(x - nearest) <= Math.abs(x) * 1e-12 ? nearest : Math.ceil(x);
}

function truncate(value: string): string {
  return value.length > 32 ? `${value.slice(0, 32)}…` : value;
}
