import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { samplerFromEnv } from './sampler.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const decide = (
  env: NodeJS.ProcessEnv,
  parentSampled?: boolean,
  traceId = TRACE_ID,
): SamplingDecision => {
  const parent =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: 'b7ad6b7169203331',
          traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return samplerFromEnv(env).sampler.shouldSample(
    parent,
    traceId,
    'POST /orders',
    SpanKind.SERVER,
    {},
    [],
  ).decision;
};

describe(samplerFromEnv.name, () => {
  it('follows the specification default: new traces recorded, the parent obeyed', () => {
    expect(samplerFromEnv({}).name).toBe('parentbased_always_on');
    expect(decide({})).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide({}, false)).toBe(SamplingDecision.NOT_RECORD);
  });

  it('keeps the share of new traces OTEL_TRACES_SAMPLER_ARG names, decided by trace id', () => {
    const env = {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    };
    expect(samplerFromEnv(env).ratio).toBe(0.25);
    const ids = Array.from(
      { length: 2_000 },
      (_, i) =>
        (i * 2_654_435_761).toString(16).padStart(8, '0').slice(-8) +
        TRACE_ID.slice(8),
    );
    const kept = ids.filter(
      (id) =>
        decide(env, undefined, id) === SamplingDecision.RECORD_AND_SAMPLED,
    ).length;
    expect(kept / ids.length).toBeGreaterThan(0.2);
    expect(kept / ids.length).toBeLessThan(0.3);
    // A sampled parent is followed whatever the ratio: a trace is kept whole or not at all.
    expect(decide({ ...env, OTEL_TRACES_SAMPLER_ARG: '0' }, true)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });

  it('records every trace with always_on, whatever the parent said', () => {
    expect(decide({ OTEL_TRACES_SAMPLER: 'always_on' }, false)).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
  });

  it('takes a missing ratio as 1, as the specification says', () => {
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio' }).ratio).toBe(
      1,
    );
  });

  it.each([
    [
      { OTEL_TRACES_SAMPLER: 'jaeger_remote' },
      'OTEL_TRACES_SAMPLER: "jaeger_remote" is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' },
      'OTEL_TRACES_SAMPLER_ARG: "10%" is not a number from 0 to 1',
    ],
    [
      {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
      },
      'OTEL_TRACES_SAMPLER_ARG: "1.5" is not a number from 0 to 1',
    ],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => samplerFromEnv(env)).toThrow(
      `invalid environment:\n  ${message}`,
    );
  });
});
