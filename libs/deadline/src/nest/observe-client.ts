import { Observable } from 'rxjs';
import type { CallOptions } from '../grpc/deadline-client.js';
import { CancelledError } from '../core/cancelled.error.js';

type PromiseMethods = Record<
  string,
  (request: never, options?: CallOptions) => Promise<unknown>
>;

/** Observable-returning view of a deadline client. */
export type ObservableClient<C> = {
  [K in keyof C]: C[K] extends (
    request: infer Req,
    options?: CallOptions,
  ) => Promise<infer Res>
    ? (request: Req) => Observable<Res>
    : never;
};

/**
 * The Nest idiom (`client.method(req)` returning an Observable), with the part Nest's own gRPC
 * client lacks for unary calls (nestjs/nest#10288): unsubscribing cancels the call on the wire.
 */
export function observeClient<C extends object>(
  client: C,
): ObservableClient<C> {
  const methods = client as unknown as PromiseMethods;
  const view: Record<string, (request: never) => Observable<unknown>> = {};
  for (const name of Object.keys(methods)) {
    view[name] = (request) =>
      new Observable((subscriber) => {
        const controller = new AbortController();
        methods[name](request, { signal: controller.signal }).then(
          (value) => {
            subscriber.next(value);
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(error),
        );
        return () => controller.abort(new CancelledError('unsubscribed'));
      });
  }
  return view as ObservableClient<C>;
}
