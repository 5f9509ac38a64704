import {
  type BudgetPolicy,
  resolveBudget,
  validateBudgetPolicy,
} from './budget-policy.js';
import { InvalidTimeoutError } from './invalid-timeout.error.js';

const policy: BudgetPolicy = {
  defaultBudgetMs: 5_000,
  maxBudgetMs: 30_000,
  minBudgetMs: 10,
};
const header = (raw: string | string[] | undefined) => [
  { name: 'x-request-timeout', raw },
];

describe(resolveBudget.name, () => {
  it('uses the default when no source is present', () => {
    expect(resolveBudget(header(undefined), policy)).toEqual({
      ok: true,
      value: { budgetMs: 5_000, source: 'default', belowMinimum: false },
    });
  });

  it('takes a valid header as is', () => {
    expect(resolveBudget(header('2000'), policy)).toEqual({
      ok: true,
      value: {
        budgetMs: 2_000,
        source: 'x-request-timeout',
        belowMinimum: false,
      },
    });
  });

  it('lets the smallest of several sources win', () => {
    const result = resolveBudget(
      [
        { name: 'x-request-timeout', raw: '2000' },
        { name: '?timeout', raw: '700' },
        { name: 'x-envoy-expected-rq-timeout-ms', raw: '1500' },
      ],
      policy,
    );
    expect(result).toEqual({
      ok: true,
      value: { budgetMs: 700, source: '?timeout', belowMinimum: false },
    });
  });

  it('clamps a budget above the maximum and remembers what was asked', () => {
    expect(resolveBudget(header('99999999999999'), policy)).toEqual({
      ok: true,
      value: {
        budgetMs: 30_000,
        source: 'x-request-timeout',
        requestedMs: 99_999_999_999_999,
        belowMinimum: false,
      },
    });
  });

  it('clamps a budget of any length: 16 digits, 40, past Number.MAX_SAFE_INTEGER', () => {
    for (const raw of [
      '1234567890123456',
      '9'.repeat(40),
      '9007199254740993',
    ]) {
      const result = resolveBudget(header(raw), policy);
      expect(result.ok && result.value.budgetMs).toBe(30_000);
    }
  });

  it('flags a budget below the minimum, zero included', () => {
    for (const raw of ['0', '9']) {
      const result = resolveBudget(header(raw), policy);
      expect(result.ok && result.value.belowMinimum).toBe(true);
    }
  });

  it.each([
    ['abc', 'is not a whole number'],
    ['-1', 'is not a whole number'],
    ['1e309', 'is not a whole number'],
    ['5000ms', 'is not a whole number'],
    ['1.5', 'is not a whole number'],
    ['', 'empty'],
    ['  ', 'empty'],
    ['100, 200', 'several values'],
  ])('refuses %j naming the source and the reason', (raw, reason) => {
    const result = resolveBudget(header(raw), policy);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidTimeoutError);
      expect(result.error.source).toBe('x-request-timeout');
      expect(result.error.message).toContain(reason);
    }
  });

  it('refuses a header sent twice', () => {
    const result = resolveBudget(header(['100', '200']), policy);
    expect(!result.ok && result.error.message).toBe(
      'invalid x-request-timeout: sent 2 times; send it once',
    );
  });

  it('refuses when any source is malformed, even if another is valid', () => {
    const result = resolveBudget(
      [
        { name: 'x-request-timeout', raw: '500' },
        { name: '?timeout', raw: 'soon' },
      ],
      policy,
    );
    expect(!result.ok && result.error.source).toBe('?timeout');
  });
});

describe(validateBudgetPolicy.name, () => {
  it('accepts a consistent policy', () => {
    expect(validateBudgetPolicy(policy)).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(
      validateBudgetPolicy({
        defaultBudgetMs: 40_000,
        maxBudgetMs: 30_000,
        minBudgetMs: -1,
      }),
    ).toEqual([
      'minBudgetMs must be a whole number of milliseconds ≥ 0, got -1',
      'defaultBudgetMs (40000) exceeds maxBudgetMs (30000)',
    ]);
  });
});
