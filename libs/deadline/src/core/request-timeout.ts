import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { err, ok, type Result } from './result.js';

/** Header a client uses to state its budget at the edge, in whole milliseconds. */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
/** Query parameter accepted as an alternative to the header (`?timeout=500`). */
export const REQUEST_TIMEOUT_QUERY = 'timeout';
/** Header Envoy sets upstream with the route timeout it will enforce. */
export const ENVOY_TIMEOUT_HEADER = 'x-envoy-expected-rq-timeout-ms';

const DIGITS = /^\d+$/;
/** Digits of `Number.MAX_SAFE_INTEGER` (9007199254740991): up to here a budget converts exactly. */
const SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER).length;

/**
 * Strictly parses a millisecond budget: ASCII digits only, no sign, no unit, no exponent,
 * one value. `raw` is what a transport hands over: a string, a list (header or query
 * parameter sent twice), or nothing.
 *
 * Any number of digits is a valid budget (leading zeros included): a value past
 * `Number.MAX_SAFE_INTEGER` is decided by its length alone, never converted to a float that
 * would lose digits, and reads as `Infinity` — larger than any maximum, so a policy clamps it.
 * The work is one pass over the value, which the transport has already bounded (Node's header
 * size limit).
 */
export function parseTimeoutMs(
  source: string,
  raw: string | readonly string[] | undefined,
): Result<number | undefined, InvalidTimeoutError> {
  if (raw === undefined) return ok(undefined);
  if (typeof raw !== 'string') {
    if (raw.length === 1) return parseTimeoutMs(source, raw[0]);
    return err(
      new InvalidTimeoutError(source, `sent ${raw.length} times; send it once`),
    );
  }
  const value = raw.trim();
  if (value === '')
    return err(
      new InvalidTimeoutError(
        source,
        'empty; expected whole milliseconds, e.g. 500',
      ),
    );
  if (value.includes(','))
    return err(new InvalidTimeoutError(source, 'has several values; send one'));
  if (!DIGITS.test(value)) {
    return err(
      new InvalidTimeoutError(
        source,
        `"${value.slice(0, 32)}" is not a whole number of milliseconds (digits only, no sign, unit or exponent)`,
      ),
    );
  }
  return ok(wholeMs(value));
}

/** The value of a string of ASCII digits, exact up to `Number.MAX_SAFE_INTEGER`, `Infinity` past it. */
function wholeMs(digits: string): number {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 0x30)
    start++;
  const significant = digits.length - start;
  if (significant > SAFE_DIGITS) return Infinity;
  const value = Number(digits.slice(start));
  return value > Number.MAX_SAFE_INTEGER ? Infinity : value;
}
