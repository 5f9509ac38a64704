import { decayPct } from './deadline-attributes.js';

describe(decayPct.name, () => {
  it('is the share of the received budget gone, to one decimal', () => {
    expect(decayPct(1000, 743)).toBe(25.7);
  });

  it('is undefined without a received budget', () => {
    expect(decayPct(null, 10)).toBeUndefined();
    expect(decayPct(0, 0)).toBeUndefined();
  });
});
