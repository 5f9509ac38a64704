import { currentScope } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { linkSignals } from '../core/link-signals.js';
import { reportLostDeadline } from '../core/lost-deadline.js';
import type { ClientMiddleware } from './client-middleware.js';
import { HOP_METADATA_KEY } from './metadata-keys.js';

export interface PropagateDeadlineOptions {
  /** Time kept back for the reply to travel home. @default 10 */
  readonly reserveMs?: number;
  /** Local ceiling for any call to this downstream. @default Infinity */
  readonly capMs?: number;
  /** Budget for a call made with no deadline in scope (the bug this project hunts). @default 5000 */
  readonly noDeadlineBudgetMs?: number;
  /**
   * Told about every call made with no deadline in scope; may throw to refuse it.
   * @default the process-wide lost-deadline guard (`reportLostDeadline`): warning with the call site, counter, throw in strict mode
   */
  readonly onMissingDeadline?: (service: string, method: string) => void;
}

const warnMissingDeadline = (service: string, method: string): void =>
  reportLostDeadline('grpc', `${service}.${method}`);

/**
 * The outermost step: the call's budget is `min(remaining, cap) − reserve` of the deadline in scope,
 * its signal the deadline's (linked with the caller's own, if it passed one), its hop one more than
 * ours. A call with no budget left is refused before it reaches the wire.
 */
export function propagateDeadline(
  options: PropagateDeadlineOptions = {},
): ClientMiddleware {
  const {
    reserveMs = 10,
    capMs = Infinity,
    noDeadlineBudgetMs = 5_000,
    onMissingDeadline = warnMissingDeadline,
  } = options;
  return (next) => async (call) => {
    const scope = currentScope();
    if (!scope) {
      onMissingDeadline(call.service, call.method);
      call.metadata.set(HOP_METADATA_KEY, '1');
      return next({
        ...call,
        budgetMs: Math.min(noDeadlineBudgetMs, capMs, call.budgetMs),
      });
    }
    const budgetMs = Math.min(
      scope.deadline.budgetFor({ reserveMs, capMs }),
      call.budgetMs,
    );
    if (budgetMs <= 0) {
      throw new DeadlineExceededError(
        `no budget left to call ${call.service}.${call.method} (${scope.deadline.remaining().toFixed(1)} ms remaining, ${reserveMs} ms reserve)`,
      );
    }
    scope.recordForward(budgetMs);
    call.metadata.set(HOP_METADATA_KEY, String(scope.hop + 1));
    // One signal per request: the deadline's own, unless the caller passed one of its own too.
    const link = linkSignals(scope.deadline.signal, call.signal);
    scope.callStarted();
    try {
      return await next({ ...call, budgetMs, signal: link.signal });
    } finally {
      scope.callEnded();
      link.dispose();
    }
  };
}
