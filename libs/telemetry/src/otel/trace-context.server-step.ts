import { context } from '@opentelemetry/api';
import type { ServerStep } from '@lib/deadline';
import { METADATA_GETTER, type MetadataLike } from './metadata-carrier.js';
import { continueTrace } from './trace-context.js';

/**
 * Light trace context on a gRPC server (see `Telemetry.traceContext`): continues the caller's W3C
 * trace from the call's metadata, or starts one, and runs the rest of the pipeline in it, so the
 * log lines and the calls it makes carry it. Put it first, before the deadline entry, and only in
 * `light` mode (the instrumentation does this itself in the others).
 */
export function traceContextStep(): ServerStep {
  return ({ call }, next) => {
    const metadata = call.metadata as MetadataLike | undefined;
    return metadata
      ? context.with(continueTrace(metadata, METADATA_GETTER), next)
      : next();
  };
}
