import { Observable } from 'rxjs';
import { CancelledError } from '../core/cancelled.error.js';

/**
 * A stream client's method as an Observable: subscribing opens the stream, unsubscribing cancels
 * it on the wire at once, even while it is waiting for a message (an async iterator's `return()`
 * would wait for the next one; rxjs's `from()` does). Pass the signal on: `observeStream((o) =>
 * streams.watchOrder(request, o))`.
 */
export function observeStream<T>(
  open: (options: { readonly signal: AbortSignal }) => AsyncIterable<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const item of open({ signal: controller.signal })) {
          if (subscriber.closed) return;
          subscriber.next(item);
        }
        subscriber.complete();
      } catch (error) {
        subscriber.error(error);
      }
    })();
    return () =>
      controller.abort(new CancelledError('the subscriber stopped listening'));
  });
}
