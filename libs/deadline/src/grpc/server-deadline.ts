import { abortable } from '../core/abortable.js';
import type { Clock } from '../core/clock.js';
import { runInScope } from '../core/deadline-context.js';
import { failureOf } from '../core/failure.js';
import type { HopOutcome, HopRecord } from '../core/hop-record.js';
import type { RequestEndEvent } from '../core/request-end-event.js';
import { hopsMetadata, toGrpcError } from './grpc-error.js';
import { openServerScope } from './server-scope.js';
import type { ServerStep } from './server-step.js';

export interface ServerDeadlineOptions {
  /** This service's name, for records and logs. */
  readonly service: string;
  /** Budget used when the caller sent no deadline (a raw client without `deadline`). */
  readonly fallbackBudgetMs: number;
  /** This process's name among the tier's replicas, in its hop records. @default none */
  readonly replica?: string;
  /** Told when each call's work ends (log line, span attributes, metrics). */
  readonly onRequestEnd: (event: RequestEndEvent) => void;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * The deadline entry of a gRPC server: the deadline comes from the call (`grpc-timeout`, parsed by
 * grpc-js), the rest of the pipeline runs with it in scope, a call already expired on arrival runs
 * nothing after this step, a cancelled call aborts it, the answer goes out at the deadline even if
 * the handler ignores it, and the reply carries this tier's hop records.
 */
export function serverDeadline(options: ServerDeadlineOptions): ServerStep {
  const { onRequestEnd } = options;
  return async ({ call, method }, next) => {
    const { scope, close } = openServerScope(call, method, options);
    const { deadline } = scope;
    let outcome: HopOutcome = 'ok';
    let reason: string | undefined;
    let handlerRan = false;
    // The chain as sent back: the request-end report takes this tier's record from it.
    let chain: HopRecord[] | undefined;
    const hops = (final: HopOutcome): HopRecord[] =>
      (chain = scope.hops(final));
    try {
      const expired = deadline.reason;
      if (expired) {
        // Expired on arrival: answer DEADLINE_EXCEEDED without running any user code.
        outcome = failureOf(expired).outcome;
        reason = `expired on arrival: ${expired.message}`;
        throw toGrpcError(expired, hops(outcome));
      }
      handlerRan = true;
      try {
        const reply = await runInScope(scope, () =>
          abortable(next(), deadline.signal),
        );
        call.sendMetadata(hopsMetadata(hops('ok')));
        return reply;
      } catch (error) {
        outcome = failureOf(error).outcome;
        reason = error instanceof Error ? error.message : String(error);
        throw toGrpcError(error, hops(outcome));
      }
    } finally {
      const aborted = handlerRan && deadline.signal.aborted;
      const own = chain?.[0] ?? scope.record(outcome);
      close();
      onRequestEnd({
        ...own,
        hop: scope.hop,
        remainingMs: deadline.remaining(),
        aborted,
        reason,
      });
    }
  };
}
