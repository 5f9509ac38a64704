import { currentDeadline, type ServerStep } from '@lib/deadline';
import { CallDroppedError } from '../core/call-dropped.error.js';
import type { FaultRegistry } from '../core/fault-registry.js';
import { injectFault } from '../core/inject-fault.js';
import { dropCall } from './drop-call.js';

export interface ChaosStepOptions {
  /**
   * A delay ends when the call's deadline aborts (no work outlives the request). `false` for the
   * naive comparison mode only. @default true
   */
  readonly honourDeadline?: boolean;
  /** Told about each caught call when its fault ends (`chaos call ended`, with `heldMs` and `overrunMs`). */
  readonly log?: (line: Readonly<Record<string, unknown>>) => void;
}

/**
 * The gRPC server step: a call caught by an active fault is delayed, answered with an error, dropped
 * or held before its handler runs. Put it inside the deadline entry, so the fault sees the call's
 * deadline and a delay ends when the caller gives up. Each caught call reports how long it was held
 * and how long the held work went on after the call's deadline aborted (`overrunMs`, the orphaned work).
 */
export function chaosStep(
  registry: FaultRegistry,
  options: ChaosStepOptions = {},
): ServerStep {
  const { honourDeadline = true, log } = options;
  return async ({ call, method }, next) => {
    const lease = registry.enter(method);
    const fault = lease.fault;
    if (!fault) {
      try {
        return await next();
      } finally {
        lease.release();
      }
    }
    const signal = currentDeadline()?.signal;
    const startedAt = performance.now();
    let abortedAt: number | undefined;
    const onAbort = (): void => {
      abortedAt = performance.now();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await injectFault(fault, { signal, honourDeadline });
    } catch (error) {
      if (CallDroppedError.is(error)) dropCall(call);
      throw error;
    } finally {
      const endedAt = performance.now();
      signal?.removeEventListener('abort', onAbort);
      lease.release();
      log?.({
        msg: 'chaos call ended',
        method,
        faultId: fault.id,
        kind: fault.kind,
        heldMs: round(endedAt - startedAt),
        overrunMs: abortedAt === undefined ? 0 : round(endedAt - abortedAt),
        traceId: traceIdOf(call.metadata),
        endedAtEpochMs: round(performance.timeOrigin + endedAt),
      });
    }
    return next();
  };
}

/** The trace id of W3C `traceparent`, when the caller sent one: lets a benchmark match a held call to its request. */
function traceIdOf(
  metadata: { get(key: string): unknown[] } | undefined,
): string | undefined {
  const header = metadata?.get('traceparent')[0];
  return typeof header === 'string' ? header.split('-')[1] : undefined;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
