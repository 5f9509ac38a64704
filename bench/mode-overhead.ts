// `npm run bench:modes`: what deadline propagation and the breakers cost, in CPU time per request over
// all five tiers: `deadline` and `full` side by side with `naive` (the method: bench/support/side-by-side.ts).
// BENCH_ROUNDS, BENCH_WINDOW_MS,
// BENCH_WARMUP_MIN_REQUESTS, BENCH_WARMUP_MAX_WINDOWS, BENCH_IDLE_MS.
import { sideBySideCommand } from './support/side-by-side.js';

sideBySideCommand('mode overhead', { name: 'naive', mode: 'naive', env: {} }, [
  { name: 'deadline (propagation)', mode: 'deadline', env: {} },
  {
    name: 'full (propagation + breakers + bulkhead + retry)',
    mode: 'full',
    env: {},
  },
]);
