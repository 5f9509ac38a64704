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

describe('replica names', () => {
  it('round-trips a replica as a 7th element, and leaves it out of rows without one', () => {
    const encoded = encodeHops([
      { ...hop, replica: 'inventory-7d9f-x2k:50053' },
      { ...hop, service: 'payment' },
    ]);
    const rows = JSON.parse(encoded) as unknown[][];
    expect(rows.map((r) => r.length)).toEqual([7, 6]);
    expect(rows[0][6]).toBe('inventory-7d9f-x2k:50053');
    const [named, unnamed] = decodeHops(encoded);
    expect(named.replica).toBe('inventory-7d9f-x2k:50053');
    expect(unnamed).not.toHaveProperty('replica');
  });

  it('reads the 6-element rows of a tier that predates replica names', () => {
    expect(
      decodeHops(
        '[["order","PlaceOrder",1000,12.5,980,"ok"],["inventory","Reserve",970,3,null,"ok","h:50063"]]',
      ),
    ).toEqual([
      {
        service: 'order',
        method: 'PlaceOrder',
        receivedBudgetMs: 1000,
        spentMs: 12.5,
        forwardedBudgetMs: 980,
        outcome: 'ok',
      },
      {
        service: 'inventory',
        method: 'Reserve',
        receivedBudgetMs: 970,
        spentMs: 3,
        forwardedBudgetMs: null,
        outcome: 'ok',
        replica: 'h:50063',
      },
    ]);
  });

  it('truncates a long replica name to 96 characters, on the way out and on the way in', () => {
    const long = 'r'.repeat(200);
    expect(decodeHops(encodeHops([{ ...hop, replica: long }]))[0].replica).toBe(
      'r'.repeat(96),
    );
    expect(
      decodeHops(`[["a","b",1,2,3,"ok","${long}"]]`)[0].replica,
    ).toHaveLength(96);
  });

  it('reads an empty replica name as none', () => {
    expect(decodeHops('[["a","b",1,2,3,"ok",""]]')[0]).not.toHaveProperty(
      'replica',
    );
  });

  it.each([
    ['a replica that is not a string', '[["a","b",1,2,3,"ok",7]]'],
    ['a null replica', '[["a","b",1,2,3,"ok",null]]'],
    ['a row of 8 elements', '[["a","b",1,2,3,"ok","r","extra"]]'],
    [
      'a good row beside a malformed one',
      '[["a","b",1,2,3,"ok","r"],["a","b",1,2,3,"ok",{}]]',
    ],
  ])('ignores %s', (_, value) => {
    expect(decodeHops(value)).toEqual([]);
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
