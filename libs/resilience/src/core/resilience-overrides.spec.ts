import { parseResilienceOverrides } from './resilience-overrides.js';

describe(parseResilienceOverrides.name, () => {
  it('reads per-downstream numbers, method lists and * for every downstream', () => {
    expect(
      parseResilienceOverrides(
        'inventory.attemptTimeoutMs=1500, inventory.idempotentMethods=GetStock|Release,*.minimumCalls=5',
      ),
    ).toEqual({
      inventory: {
        attemptTimeoutMs: 1500,
        idempotentMethods: ['GetStock', 'Release'],
      },
      '*': { minimumCalls: 5 },
    });
  });

  it('reads perMethod as true or false', () => {
    expect(parseResilienceOverrides('inventory.perMethod=true')).toEqual({
      inventory: { perMethod: true },
    });
    expect(parseResilienceOverrides('inventory.perMethod=yes')).toBe(
      'inventory.perMethod: "yes" is not true or false',
    );
  });

  it('reads an empty string as no overrides', () => {
    expect(parseResilienceOverrides('')).toEqual({});
  });

  it('lists every problem at once', () => {
    expect(
      parseResilienceOverrides(
        'inventory.minimumCalls=ten,payment.colour=red,oops',
      ),
    ).toBe(
      'inventory.minimumCalls: "ten" is not a number ≥ 0; payment.colour: unknown option (known: windowMs, bucketCount, minimumCalls, failureRatio, slowCallMs, slowCallRatio, openMs, probeBaseMs, attemptTimeoutMs, maxConcurrent, maxQueue, maxAttempts, baseDelayMs, maxDelayMs, admissionMinSamples, idempotentMethods, perMethod); "oops" is not <downstream>.<option>=<value>',
    );
  });
});
