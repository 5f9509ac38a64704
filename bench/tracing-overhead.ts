// `npm run bench:tracing`: what tracing costs, in CPU time per request over all five tiers, each
// setting side by side with tracing off (the method: bench/support/side-by-side.ts).
// Extra variants: BENCH_VARIANTS='name:VAR=value,VAR=value|…'. BENCH_ROUNDS, BENCH_WINDOW_MS,
// BENCH_WARMUP_MIN_REQUESTS, BENCH_WARMUP_MAX_WINDOWS, BENCH_IDLE_MS.
import { parseVariants, sideBySideCommand } from './support/side-by-side.js';

sideBySideCommand(
  'tracing cost (full mode)',
  { name: 'tracing off', mode: 'full', env: { OTEL_SDK_DISABLED: 'true' } },
  [
    {
      name: 'tracing on, nothing exported (default: light trace context)',
      mode: 'full',
      env: {},
    },
    // What the default cost before: the instrumentations running with nothing recorded.
    {
      name: 'instrumented, nothing recorded (OTEL_TRACES_SAMPLER=always_off)',
      mode: 'full',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: '$SINK',
        OTEL_TRACES_SAMPLER: 'always_off',
      },
    },
    {
      name: 'exporting 10 % of traces (OTLP/HTTP)',
      mode: 'full',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: '$SINK',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      },
    },
    {
      name: 'exporting every trace (OTLP/HTTP)',
      mode: 'full',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: '$SINK' },
    },
    ...parseVariants(process.env.BENCH_VARIANTS ?? '', 'full'),
  ],
  'off',
);
