import { httpServerTimeouts } from './server-timeouts.js';

describe(httpServerTimeouts.name, () => {
  it('bounds a slow client by the largest budget, with a second for the edge’s own answer', () => {
    expect(httpServerTimeouts({ maxBudgetMs: 30_000 })).toEqual({
      headersTimeout: 30_000,
      requestTimeout: 31_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
  });

  it('keeps idle connections and the checks within a small maximum', () => {
    expect(httpServerTimeouts({ maxBudgetMs: 2_000 })).toEqual({
      headersTimeout: 2_000,
      requestTimeout: 3_000,
      keepAliveTimeout: 2_000,
      connectionsCheckingInterval: 500,
    });
  });
});
