import fc from 'fast-check';
import {
  formatGrpcTimeout,
  MAX_GRPC_TIMEOUT_MS,
  parseGrpcTimeout,
} from './grpc-timeout.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';

const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

describe(parseGrpcTimeout.name, () => {
  it.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3_000],
    ['500m', 500],
    ['1500u', 1.5],
    ['2500000n', 2.5],
    ['99999999m', 99_999_999],
    ['0m', 0],
    ['00000001S', 1_000],
  ])('reads %s as %d ms', (wire, ms) => {
    expect(parseGrpcTimeout(wire)).toEqual({ ok: true, value: ms });
  });

  it.each([
    '',
    'm',
    '100',
    '100x',
    '123456789m',
    '-1m',
    '1.5S',
    ' 1S',
    '1S ',
    '1 S',
    '1s',
    '1h',
    '1e3m',
    '１S',
    '100mm',
    '500u500',
  ])('refuses %j with a typed error', (wire) => {
    const result = parseGrpcTimeout(wire);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidTimeoutError);
      expect(result.error.source).toBe('grpc-timeout');
    }
  });

  it('accepts exactly the spec grammar: 1-8 digits then one unit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (wire) => {
        expect(parseGrpcTimeout(wire).ok).toBe(/^\d{1,8}[HMSmun]$/.test(wire));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe(formatGrpcTimeout.name, () => {
  it.each([
    [0.000001, '1n'],
    [0.5, '500000n'],
    [1, '1000000n'],
    [99.999999, '99999999n'],
    [100, '100000u'],
    [1_000, '1000000u'],
    [99_999.999, '99999999u'],
    [100_000, '100000m'],
    [99_999_999, '99999999m'],
    [100_000_000, '100000S'],
  ])('writes %d ms as %s, the finest unit that fits', (ms, wire) => {
    expect(formatGrpcTimeout(ms)).toBe(wire);
  });

  it('rounds up, never giving the receiver less time', () => {
    expect(formatGrpcTimeout(99_999.9991)).toBe('100000m');
    expect(formatGrpcTimeout(0.0000001)).toBe('1n');
  });

  it('writes zero and negative budgets as 0n', () => {
    expect(formatGrpcTimeout(0)).toBe('0n');
    expect(formatGrpcTimeout(-5)).toBe('0n');
    expect(formatGrpcTimeout(Number.NaN)).toBe('0n');
  });

  it('caps budgets beyond the header range at its maximum', () => {
    expect(formatGrpcTimeout(MAX_GRPC_TIMEOUT_MS * 2)).toBe('99999999H');
    expect(formatGrpcTimeout(Infinity)).toBe('99999999H');
  });

  it('round-trips every value and unit: parse(format(parse(x))) = parse(x)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.constantFrom(...Object.keys(UNIT_MS)),
        (value, unit) => {
          const wire = `${value}${unit}`;
          const ms = (parseGrpcTimeout(wire) as { value: number }).value;
          const again = parseGrpcTimeout(formatGrpcTimeout(ms));
          expect(again.ok).toBe(true);
          expect((again as { value: number }).value).toBeCloseTo(ms, 9);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('always emits a value the strict parser accepts, never less than asked', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: MAX_GRPC_TIMEOUT_MS, noNaN: true }),
        (ms) => {
          const parsed = parseGrpcTimeout(formatGrpcTimeout(ms));
          expect(parsed.ok).toBe(true);
          expect((parsed as { value: number }).value).toBeGreaterThanOrEqual(
            ms * (1 - 1e-12),
          );
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
