import { warmUntilFlat, type WarmUpWindow } from './warm-up.js';

/** Windows of 100 requests whose CPU per request follows `perRequest`, one entry per window and target. */
function windowsOf(
  perRequest: readonly (readonly number[])[],
): () => Promise<readonly WarmUpWindow[]> {
  let w = 0;
  return async () => {
    const row = perRequest[Math.min(w++, perRequest.length - 1)];
    return row.map((ms) => ({ requests: 100, cpuMs: ms * 100 }));
  };
}

describe(warmUntilFlat.name, () => {
  const options = { windowRequests: 100, minRequests: 300, maxWindows: 10 };

  it('stops at the first two consecutive windows within the tolerance, once past the floor', async () => {
    const result = await warmUntilFlat(
      1,
      windowsOf([[20], [15], [12], [11.9], [11.8]]),
      options,
    );
    expect(result.flat).toBe(true);
    expect(result.requests).toEqual([400]);
    expect(result.cpuMsPerRequest).toEqual([[20, 15, 12, 11.9]]);
  });

  it('does not call a stack flat before the floor, however steady it looks', async () => {
    const result = await warmUntilFlat(1, windowsOf([[10], [10], [10]]), {
      ...options,
      minRequests: 300,
    });
    expect(result.requests).toEqual([300]);
  });

  it('waits for every target to be flat in the same window', async () => {
    const result = await warmUntilFlat(
      2,
      windowsOf([
        [10, 30],
        [10, 20],
        [10, 15],
        [10, 12],
        [10, 11.9],
      ]),
      options,
    );
    expect(result.flat).toBe(true);
    expect(result.requests).toEqual([500, 500]);
  });

  it('ends at the window cap and says it was not flat', async () => {
    const result = await warmUntilFlat(
      1,
      windowsOf([[20], [10], [20], [10], [20], [10]]),
      { ...options, maxWindows: 6 },
    );
    expect(result.flat).toBe(false);
    expect(result.requests).toEqual([600]);
  });

  it('refuses a window in which a target served nothing', async () => {
    await expect(
      warmUntilFlat(1, async () => [{ requests: 0, cpuMs: 0 }], options),
    ).rejects.toThrow(/served no request/);
  });
});
