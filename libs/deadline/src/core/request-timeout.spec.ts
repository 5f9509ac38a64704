import { InvalidTimeoutError } from './invalid-timeout.error.js';
import { parseTimeoutMs } from './request-timeout.js';

const parse = (raw: string | readonly string[] | undefined) =>
  parseTimeoutMs('x-request-timeout', raw);

describe(parseTimeoutMs.name, () => {
  it('reads whole milliseconds, spaces around them allowed', () => {
    expect(parse(' 2500 ')).toEqual({ ok: true, value: 2500 });
  });

  it('reads nothing as absent', () => {
    expect(parse(undefined)).toEqual({ ok: true, value: undefined });
  });

  it('keeps every digit up to Number.MAX_SAFE_INTEGER exact', () => {
    expect(parse('9007199254740991')).toEqual({
      ok: true,
      value: Number.MAX_SAFE_INTEGER,
    });
    expect(parse('1234567890123456')).toEqual({
      ok: true,
      value: 1_234_567_890_123_456,
    });
  });

  it('reads a value past Number.MAX_SAFE_INTEGER as Infinity, however many digits', () => {
    for (const raw of [
      '9007199254740992',
      '99999999999999999999',
      '1'.padEnd(4_000, '7'),
    ])
      expect(parse(raw)).toEqual({ ok: true, value: Infinity });
  });

  it('decides by significant digits: leading zeros add nothing', () => {
    expect(parse('0'.repeat(40) + '5')).toEqual({ ok: true, value: 5 });
    expect(parse('0'.repeat(40))).toEqual({ ok: true, value: 0 });
  });

  it.each([
    ['abc', 'is not a whole number'],
    ['-1', 'is not a whole number'],
    ['1e309', 'is not a whole number'],
    ['1'.repeat(100) + 'x', 'is not a whole number'],
    ['', 'empty'],
  ])('refuses %j', (raw, reason) => {
    const result = parse(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(InvalidTimeoutError);
      expect(result.error.message).toContain(reason);
      // What it echoes of the value is bounded.
      expect(result.error.message.length).toBeLessThan(200);
    }
  });
});
