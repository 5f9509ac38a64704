/** When a warm-up may stop. */
export interface WarmUpOptions {
  /** Requests per warm-up window, for a load counted in requests (a timed load ignores it). */
  readonly windowRequests: number;
  /** Fewest requests each target serves before its CPU per request may count as flat. */
  readonly minRequests: number;
  /** Most windows; reached before every target is flat, the warm-up ends anyway, marked not flat. */
  readonly maxWindows: number;
  /** Two consecutive windows whose CPU per request differ by less than this are flat, in %. @default 5 */
  readonly tolerancePct?: number;
}

/** One target's share of one warm-up window. */
export interface WarmUpWindow {
  readonly requests: number;
  readonly cpuMs: number;
}

export interface WarmUpResult {
  /** Requests each target served while warming up. */
  readonly requests: readonly number[];
  /** CPU ms per request of each target's windows, in order. */
  readonly cpuMsPerRequest: readonly (readonly number[])[];
  /** Whether every target ended flat (else the window cap ended the warm-up). */
  readonly flat: boolean;
}

/**
 * Loads one or more targets at once, window after window, until each one's CPU per request has
 * stopped falling: two consecutive windows within `tolerancePct` of each other, after at least
 * `minRequests` (V8 keeps optimizing a Nest stack for thousands of requests; timed earlier, a stack
 * reads dearer than it runs). `runWindow` loads every target for one window and returns each one's
 * requests and CPU.
 */
export async function warmUntilFlat(
  targets: number,
  runWindow: () => Promise<readonly WarmUpWindow[]>,
  options: WarmUpOptions,
  log: (line: string) => void = () => undefined,
): Promise<WarmUpResult> {
  const tolerance = (options.tolerancePct ?? 5) / 100;
  const requests = new Array<number>(targets).fill(0);
  const series: number[][] = Array.from({ length: targets }, () => []);
  const flatNow = (i: number): boolean => {
    const s = series[i];
    if (requests[i] < options.minRequests || s.length < 2) return false;
    const [a, b] = s.slice(-2);
    return Math.abs(b - a) < tolerance * a;
  };
  for (let w = 0; w < options.maxWindows; w++) {
    const windows = await runWindow();
    if (windows.length !== targets)
      throw new Error(
        `a warm-up window measured ${windows.length} targets, not ${targets}`,
      );
    windows.forEach((window, i) => {
      if (window.requests === 0)
        throw new Error(`target ${i} served no request in a warm-up window`);
      requests[i] += window.requests;
      series[i].push(window.cpuMs / window.requests);
    });
    const flat = series.map((_, i) => flatNow(i));
    log(
      `warm-up window ${w + 1}: CPU ms/request ${series.map((s, i) => `${s.at(-1)!.toFixed(2)}${flat[i] ? ' (flat)' : ''}`).join(', ')}`,
    );
    if (flat.every(Boolean))
      return { requests, cpuMsPerRequest: series, flat: true };
  }
  return { requests, cpuMsPerRequest: series, flat: false };
}
