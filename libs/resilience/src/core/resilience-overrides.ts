import { type ResilienceOptions } from './resilient-downstream.js';

const NUMERIC = [
  'windowMs',
  'bucketCount',
  'minimumCalls',
  'failureRatio',
  'slowCallMs',
  'slowCallRatio',
  'openMs',
  'probeBaseMs',
  'attemptTimeoutMs',
  'maxConcurrent',
  'maxQueue',
  'maxAttempts',
  'baseDelayMs',
  'maxDelayMs',
  'admissionMinSamples',
] as const;
type NumericKey = (typeof NUMERIC)[number];
const NUMERIC_KEYS: ReadonlySet<string> = new Set(NUMERIC);

/**
 * Parses per-downstream settings from one string, e.g.
 * `inventory.attemptTimeoutMs=1500,inventory.minimumCalls=10,payment.idempotentMethods=Charge|GetCharge`;
 * `*` as the downstream name sets a default for all.
 * Returns every problem at once, as a string, instead of throwing.
 */
export function parseResilienceOverrides(
  raw: string,
): Record<string, ResilienceOptions> | string {
  const out: Record<string, Record<string, unknown>> = {};
  const problems: string[] = [];
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(\*|[a-z][a-z0-9-]*)\.([A-Za-z]+)=(.*)$/.exec(entry);
    if (!match) {
      problems.push(`"${entry}" is not <downstream>.<option>=<value>`);
      continue;
    }
    const [, downstream, key, value] = match;
    const options = (out[downstream] ??= {});
    if (key === 'idempotentMethods') {
      options[key] = value.split('|').filter(Boolean);
    } else if (key === 'perMethod') {
      if (value === 'true' || value === 'false')
        options[key] = value === 'true';
      else
        problems.push(`${downstream}.${key}: "${value}" is not true or false`);
    } else if (NUMERIC_KEYS.has(key)) {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number) || number < 0)
        problems.push(`${downstream}.${key}: "${value}" is not a number ≥ 0`);
      else options[key as NumericKey] = number;
    } else {
      problems.push(
        `${downstream}.${key}: unknown option (known: ${[...NUMERIC, 'idempotentMethods', 'perMethod'].join(', ')})`,
      );
    }
  }
  return problems.length ? problems.join('; ') : out;
}
