import { describeFault, parseFaultSpec } from './fault-spec.js';

describe(parseFaultSpec.name, () => {
  it('reads a delay with defaults for method and percent', () => {
    expect(parseFaultSpec({ kind: 'delay', delayMs: 800 })).toEqual({
      kind: 'delay',
      method: '*',
      percent: 100,
      delayMs: 800,
      jitterMs: 0,
    });
  });

  it('reads an error code given by name', () => {
    expect(
      parseFaultSpec({ kind: 'error', code: 'unavailable', method: 'Reserve' }),
    ).toEqual({ kind: 'error', method: 'Reserve', percent: 100, code: 14 });
  });

  it('defaults an error to UNAVAILABLE', () => {
    expect(parseFaultSpec({ kind: 'error' })).toMatchObject({ code: 14 });
  });

  it('keeps the cap and the duration', () => {
    expect(
      parseFaultSpec({
        kind: 'hang',
        maxConcurrent: 3,
        durationMs: 30_000,
        percent: 12.5,
      }),
    ).toEqual({
      kind: 'hang',
      method: '*',
      percent: 12.5,
      maxConcurrent: 3,
      durationMs: 30_000,
    });
  });

  it.each([
    [null, 'a fault must be a JSON object'],
    [[], 'a fault must be a JSON object'],
    [{ kind: 'explode' }, 'kind must be one of delay, error, abort, hang'],
    [{ kind: 'delay' }, 'delayMs is required for a delay fault'],
    [
      { kind: 'delay', delayMs: -1 },
      'delayMs must be within 0..600000, got -1',
    ],
    [{ kind: 'delay', delayMs: '800' }, 'delayMs must be a whole number'],
    [{ kind: 'abort', percent: 150 }, 'percent must be within 0..100, got 150'],
    [
      { kind: 'abort', maxConcurrent: 0 },
      'maxConcurrent must be within 1..1000000, got 0',
    ],
    [
      { kind: 'abort', delayMs: 5 },
      'delayMs and jitterMs apply to delay faults only, not abort',
    ],
    [{ kind: 'hang', code: 14 }, 'code applies to error faults only, not hang'],
    [
      { kind: 'error', code: 0 },
      'code must be a gRPC status from 1 to 16, by number or name (e.g. 14 or "UNAVAILABLE")',
    ],
    [
      { kind: 'error', method: 'a/b' },
      'method must be a gRPC method name (e.g. "Reserve") or "*"',
    ],
  ])('refuses %j with a reason', (input, reason) => {
    expect(parseFaultSpec(input)).toBe(reason);
  });

  it('names unknown fields instead of ignoring a typo', () => {
    expect(parseFaultSpec({ kind: 'delay', delayMs: 1, precent: 30 })).toMatch(
      /^unknown field "precent"; known: /,
    );
  });
});

describe(describeFault.name, () => {
  it('says what a fault does in one line', () => {
    expect(
      describeFault({
        kind: 'delay',
        method: 'Reserve',
        percent: 30,
        delayMs: 800,
        jitterMs: 50,
        maxConcurrent: 5,
        durationMs: 30_000,
      }),
    ).toBe('delay 800±50 ms on Reserve, 30 %, at most 5 at once, for 30000 ms');
  });
});
