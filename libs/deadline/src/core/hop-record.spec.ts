import { decodeHops, encodeHops, type HopRecord } from './hop-record.js';

const hop: HopRecord = {
  service: 'order',
  method: 'PlaceOrder',
  receivedBudgetMs: 1932.456,
  spentMs: 465.641,
  forwardedBudgetMs: 1889.432,
  outcome: 'ok',
};

describe(encodeHops.name, () => {
  it('round-trips records through metadata, rounded to 0.01 ms', () => {
    expect(
      decodeHops(
        encodeHops([
          hop,
          { ...hop, service: 'inventory', forwardedBudgetMs: null },
        ]),
      ),
    ).toEqual([
      {
        ...hop,
        receivedBudgetMs: 1932.46,
        spentMs: 465.64,
        forwardedBudgetMs: 1889.43,
      },
      {
        ...hop,
        service: 'inventory',
        receivedBudgetMs: 1932.46,
        spentMs: 465.64,
        forwardedBudgetMs: null,
      },
    ]);
  });
});

describe(decodeHops.name, () => {
  it.each([
    ['not JSON', '{nope'],
    ['not a list', '{"a":1}'],
    ['a row of the wrong shape', '[["order","m",1,2,3]]'],
    ['an unknown outcome', '[["order","m",1,2,3,"exploded"]]'],
    ['a string budget', '[["order","m","1",2,3,"ok"]]'],
    ['a value that is not a string', 42],
    [
      'an oversized value',
      `[${'["a","b",1,2,3,"ok"],'.repeat(2_000)}["a","b",1,2,3,"ok"]]`,
    ],
  ])('ignores %s from a downstream', (_, value) => {
    expect(decodeHops(value)).toEqual([]);
  });

  it('keeps at most 32 records and truncates long names', () => {
    const many = encodeHops(
      Array.from({ length: 40 }, () => ({ ...hop, service: 'x'.repeat(100) })),
    );
    const decoded = decodeHops(many);
    expect(decoded).toHaveLength(32);
    expect(decoded[0].service).toHaveLength(64);
  });
});
