import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/** The standard `OTEL_TRACES_SAMPLER` values the JavaScript SDK implements. */
export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** A valid `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers: a number from 0 to 1. */
export const SAMPLER_RATIO_PATTERN = /^(0|1|0?\.\d+|1\.0*)$/;

export interface SamplerChoice {
  readonly name: SamplerName;
  /** Share of new traces kept, for the ratio samplers. */
  readonly ratio?: number;
  readonly sampler: Sampler;
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name (unset: the specification's
 * `parentbased_always_on`), refusing a bad value at start. SDK 3's `TracerProvider` reads neither
 * variable (it takes a `sampler` option only); the 2.x one logged about a bad value and replaced it.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): SamplerChoice {
  const raw = (env.OTEL_TRACES_SAMPLER ?? '').trim();
  const name = (raw === '' ? 'parentbased_always_on' : raw) as SamplerName;
  if (!SAMPLER_NAMES.includes(name))
    throw new Error(
      `invalid environment:\n  OTEL_TRACES_SAMPLER: "${raw}" is not one of ${SAMPLER_NAMES.join(', ')}`,
    );
  const ratio = ratioFrom(env.OTEL_TRACES_SAMPLER_ARG);
  switch (name) {
    case 'always_on':
      return { name, sampler: new AlwaysOnSampler() };
    case 'always_off':
      return { name, sampler: new AlwaysOffSampler() };
    case 'parentbased_always_on':
      return {
        name,
        sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      };
    case 'parentbased_always_off':
      return {
        name,
        sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
      };
    case 'traceidratio':
      return { name, ratio, sampler: new TraceIdRatioBasedSampler(ratio) };
    case 'parentbased_traceidratio':
      return {
        name,
        ratio,
        sampler: new ParentBasedSampler({
          root: new TraceIdRatioBasedSampler(ratio),
        }),
      };
  }
}

/** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers: 0..1, 1 when unset (as the specification says). */
function ratioFrom(raw: string | undefined): number {
  const text = (raw ?? '').trim();
  if (text === '') return 1;
  const ratio = Number(text);
  if (!SAMPLER_RATIO_PATTERN.test(text) || !(ratio >= 0 && ratio <= 1))
    throw new Error(
      `invalid environment:\n  OTEL_TRACES_SAMPLER_ARG: "${raw}" is not a number from 0 to 1`,
    );
  return ratio;
}
