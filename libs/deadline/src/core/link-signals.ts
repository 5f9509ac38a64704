/** A signal that aborts when either input does, and a way to let go of both inputs. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Removes the listeners from the inputs. Call it in `finally`. */
  dispose(): void;
}

/** Never aborts; stands in when there is nothing to listen to, and is treated by {@link linkSignals} as no input. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

/**
 * Links two optional signals by hand, keeping the first reason. Preferred over `AbortSignal.any`,
 * which keeps every linked signal alive as long as a long-lived input lives (nodejs/node#55351).
 * With only one input (or {@link NEVER_ABORTS}) it is returned as is: no allocation on the common path.
 */
export function linkSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): LinkedSignal {
  if (!a || a === NEVER_ABORTS)
    return { signal: b ?? NEVER_ABORTS, dispose: noop };
  if (!b || b === NEVER_ABORTS) return { signal: a, dispose: noop };
  const controller = new AbortController();
  if (a.aborted || b.aborted) {
    controller.abort(a.aborted ? a.reason : b.reason);
    return { signal: controller.signal, dispose: noop };
  }
  const onA = (): void => {
    controller.abort(a.reason);
    b.removeEventListener('abort', onB);
  };
  const onB = (): void => {
    controller.abort(b.reason);
    a.removeEventListener('abort', onA);
  };
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}

function noop(): void {}
