// `npm run bench:lean`: what each setting of the lean request path saves, in CPU time per request over
// all five tiers and the PostgreSQL server: the tiers' defaults, and each setting alone, side by side
// with all of them off (the method: bench/support/side-by-side.ts). Payment's charge without a look-up
// first has no switch; it is in every row. BENCH_ROUNDS, BENCH_WINDOW_MS, BENCH_WARMUP_MIN_REQUESTS,
// BENCH_WARMUP_MAX_WINDOWS, BENCH_IDLE_MS.
import { COMMON_ENV } from '@lib/platform';
import { sideBySideCommand } from './support/side-by-side.js';

/** Every switch of the lean path off: each token verified, each follow-up write and log line alone. */
const ALL_OFF = {
  AUTH_TOKEN_CACHE_SIZE: '0',
  ORDER_SETTLE_BATCH_MS: '0',
  INVENTORY_COMMIT_BATCH_MS: '0',
  LOG_FLUSH_MS: '0',
};
// The bench's stacks write each log line at once unless told otherwise (tools/stack): say the default.
const LOG_FLUSH_DEFAULT = String(COMMON_ENV.LOG_FLUSH_MS.default);

sideBySideCommand(
  'lean path settings (full mode)',
  { name: 'all four off', mode: 'full', env: ALL_OFF },
  [
    {
      name: 'the defaults (all four on)',
      mode: 'full',
      env: { LOG_FLUSH_MS: LOG_FLUSH_DEFAULT },
    },
    {
      name: 'verified tokens remembered (AUTH_TOKEN_CACHE_SIZE) alone',
      mode: 'full',
      env: { ...ALL_OFF, AUTH_TOKEN_CACHE_SIZE: '10000' },
    },
    {
      name: 'follow-up writes batched (ORDER_SETTLE_BATCH_MS, INVENTORY_COMMIT_BATCH_MS) alone',
      mode: 'full',
      env: {
        ...ALL_OFF,
        ORDER_SETTLE_BATCH_MS: '20',
        INVENTORY_COMMIT_BATCH_MS: '20',
      },
    },
    {
      name: 'log lines batched (LOG_FLUSH_MS) alone',
      mode: 'full',
      env: { ...ALL_OFF, LOG_FLUSH_MS: LOG_FLUSH_DEFAULT },
    },
  ],
);
