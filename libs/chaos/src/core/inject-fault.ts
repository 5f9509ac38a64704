import { type Clock, systemClock, type TimerHandle } from '@lib/deadline';
import { CallDroppedError } from './call-dropped.error.js';
import type { FaultSnapshot } from './fault-registry.js';
import { InjectedFaultError } from './injected-fault.error.js';

export interface InjectOptions {
  /** The caught call's deadline (or cancellation) signal. */
  readonly signal?: AbortSignal;
  /**
   * `true`: a delay ends the moment `signal` aborts, so chaos never creates work that outlives
   * the request. `false` reproduces an unprotected stack (naive mode): the delay runs in full.
   * A hang always ends on `signal`. @default true
   */
  readonly honourDeadline?: boolean;
  /** @default performance.now() and unref'd timers */
  readonly clock?: Clock;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * Applies a fault to one call before its handler runs: resolves when the handler may go on
 * (a delay that ran out), rejects with the fault's error, or with `signal`'s reason when the
 * caller gives up first. Its timer and listener are gone once it settles.
 */
export function injectFault(
  fault: Pick<FaultSnapshot, 'id' | 'kind' | 'delayMs' | 'jitterMs' | 'code'>,
  options: InjectOptions = {},
): Promise<void> {
  const {
    signal,
    honourDeadline = true,
    clock = systemClock,
    random = Math.random,
  } = options;
  switch (fault.kind) {
    case 'error':
      return Promise.reject(new InjectedFaultError(fault.code ?? 14, fault.id));
    case 'abort':
      return Promise.reject(new CallDroppedError(fault.id));
    case 'hang':
      return wait(undefined, signal, clock);
    case 'delay': {
      const jitter = fault.jitterMs ? (random() * 2 - 1) * fault.jitterMs : 0;
      return wait(
        Math.max(0, (fault.delayMs ?? 0) + jitter),
        honourDeadline ? signal : undefined,
        clock,
      );
    }
  }
}

/** Resolves after `ms` (never, when `undefined`), or rejects as soon as `signal` aborts. */
function wait(
  ms: number | undefined,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: TimerHandle | undefined;
    const onAbort = (): void => {
      if (timer !== undefined) clock.clearTimeout(timer);
      reject(signal!.reason);
    };
    if (ms !== undefined) {
      timer = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
