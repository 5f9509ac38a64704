import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Mirrors the source until `signal` aborts, then errors with its reason and unsubscribes the
 * source: the answer goes out at the deadline even when a handler ignores its signal.
 */
export function untilAborted<T>(signal: AbortSignal): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      if (signal.aborted) {
        subscriber.error(signal.reason);
        return;
      }
      const onAbort = (): void => subscriber.error(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const subscription = source.subscribe(subscriber);
      return () => {
        signal.removeEventListener('abort', onAbort);
        subscription.unsubscribe();
      };
    });
}
