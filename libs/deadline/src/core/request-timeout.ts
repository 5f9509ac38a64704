import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { err, ok, type Result } from './result.js';

/** Header a client uses to state its budget at the edge, in whole milliseconds. */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout';
/** Query parameter accepted as an alternative to the header (`?timeout=500`). */
export const REQUEST_TIMEOUT_QUERY = 'timeout';
/** Header Envoy sets upstream with the route timeout it will enforce. */
export const ENVOY_TIMEOUT_HEADER = 'x-envoy-expected-rq-timeout-ms';

/** Longer values are refused outright: 15 digits already exceed any useful budget. */
const MAX_DIGITS = 15;
const DIGITS = /^\d+$/;

/**
 * Strictly parses a millisecond budget: ASCII digits only, no sign, no unit, no exponent,
 * one value. `raw` is what a transport hands over: a string, a list (header or query
 * parameter sent twice), or nothing.
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
  if (value.length > MAX_DIGITS)
    return err(
      new InvalidTimeoutError(source, `${value.length} digits is too long`),
    );
  return ok(Number(value));
}
