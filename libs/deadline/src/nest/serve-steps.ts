import type { CallHandler } from '@nestjs/common';
import { lastValueFrom, Observable } from 'rxjs';
import {
  type IncomingCall,
  runServerSteps,
  type ServerStep,
} from '../grpc/server-step.js';

/**
 * Runs server `steps` around a Nest handler and gives Nest back its Observable: one subscription,
 * no operators. The handler is started by the last step, inside the scopes the steps opened (Nest
 * binds it to the async context current when `handle()` is called).
 */
export function serveSteps(
  steps: readonly ServerStep[],
  incoming: IncomingCall,
  next: CallHandler<unknown>,
): Observable<unknown> {
  return new Observable((subscriber) => {
    runServerSteps(steps, incoming, () =>
      lastValueFrom(next.handle(), { defaultValue: undefined }),
    ).then(
      (reply) => {
        subscriber.next(reply);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
  });
}
