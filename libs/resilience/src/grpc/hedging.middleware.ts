import {
  CancelledError,
  type ClientMiddleware,
  type Clock,
  currentScope,
  DeadlineScope,
  failureOf,
  type HopRecord,
  type OutgoingCall,
  runInScope,
  systemClock,
  type TimerHandle,
  type UnaryInvoker,
  type UnaryResponse,
} from '@lib/deadline';
import { HedgePolicy, type HedgePolicyOptions } from '../core/hedge-policy.js';

/** A hedge sent or won, for metrics and logs. */
export interface HedgeEvent {
  readonly service: string;
  readonly method: string;
  /** Time since the call's first attempt started, in ms. */
  readonly afterMs: number;
}

export interface HedgingOptions extends HedgePolicyOptions {
  /** Methods safe to send twice at once; only these are hedged. */
  readonly idempotentMethods: Iterable<string>;
  /** Told when a hedge goes out. */
  readonly onHedgeSent?: (event: HedgeEvent) => void;
  /** Told when a hedge's answer is the one the call returns. */
  readonly onHedgeWon?: (event: HedgeEvent) => void;
}

/** The abort reason a losing attempt is cancelled with. */
const lostTheRace = (): CancelledError =>
  new CancelledError('another attempt of this hedged call answered first');

/**
 * The hop records one attempt's downstream sends back, held apart from the request's scope until
 * it is known whether that attempt's answer is the call's: only the winner's reach the scope.
 */
class AttemptScope extends DeadlineScope {
  readonly records: HopRecord[] = [];

  constructor(private readonly parent: DeadlineScope) {
    super(
      parent.deadline,
      parent.service,
      parent.method,
      parent.receivedBudgetMs,
      parent.hop,
    );
  }

  override recordDownstream(hops: readonly HopRecord[]): void {
    this.records.push(...hops);
  }

  override recordForward(budgetMs: number): void {
    this.parent.recordForward(budgetMs);
  }

  override callStarted(): void {
    this.parent.callStarted();
  }

  override callEnded(): void {
    this.parent.callEnded();
  }
}

interface Attempt {
  readonly controller: AbortController;
  readonly scope: AttemptScope | undefined;
  running: boolean;
  error?: unknown;
}

/**
 * Hedged requests (Dean & Barroso, "The Tail at Scale"): a call of an idempotent method that has
 * no answer after its method's adaptive delay (the p95 of recent successful calls) gets ONE more
 * attempt, when the hedge budget has one and the call's remaining budget still fits a typical
 * answer ({@link HedgePolicy}). The first successful answer wins; the other attempt is cancelled on
 * the wire (each attempt has its own AbortController, aborted by the caller's signal too). A failed
 * attempt waits for the other; when both fail the call fails with the downstream's own answer if
 * either attempt got one (a business error, say), else with the first attempt's failure — what the
 * call would have met without hedging. A first attempt that fails before the delay fails the call
 * at once (no hedge: failures are the retry's to handle).
 *
 * Place it inside {@link resilienceMiddleware} (the breaker and bulkhead count the call once; a
 * hedge is not a retry) and outside {@link replicaRoutingMiddleware}, which sends the hedge to a
 * replica other than the one the first attempt is on, and outside the hop collector: each attempt
 * collects its hop records apart, and only the winner's (both attempts' when both fail) reach the
 * request's scope. Both attempts share the call's metadata object, so routing sees them as one call.
 */
export function hedgingMiddleware(options: HedgingOptions): ClientMiddleware {
  const clock = options.clock ?? systemClock;
  const policy = new HedgePolicy({ ...options, clock });
  const idempotent = new Set(options.idempotentMethods);
  return (next) => (call) => {
    if (!idempotent.has(call.method) || call.signal.aborted) return next(call);
    const startedAt = clock.now();
    const delayMs = policy.plan(call.method, call.budgetMs, startedAt);
    if (delayMs === undefined)
      return next(call).then((response) => {
        policy.answered(call.method, clock.now() - startedAt);
        return response;
      });
    return race(next, call, {
      clock,
      policy,
      options,
      delayMs,
      startedAt,
    });
  };
}

interface RaceContext {
  readonly clock: Clock;
  readonly policy: HedgePolicy;
  readonly options: HedgingOptions;
  readonly delayMs: number;
  readonly startedAt: number;
}

/** The first attempt now, the hedge after the delay if allowed then; settles once, cleaning up on every path. */
function race(
  next: UnaryInvoker,
  call: OutgoingCall,
  context: RaceContext,
): Promise<UnaryResponse> {
  const { clock, policy, options, delayMs, startedAt } = context;
  const parent = currentScope();
  const attempts: Attempt[] = [];
  let timer: TimerHandle | undefined;
  let settled = false;
  return new Promise<UnaryResponse>((resolve, reject) => {
    const stopTimer = (): void => {
      if (timer === undefined) return;
      clock.clearTimeout(timer);
      timer = undefined;
    };
    // The caller's signal (its deadline, a breaker opening) ends every attempt; each then rejects with its reason.
    const onAbort = (): void => {
      stopTimer();
      for (const attempt of attempts)
        if (attempt.running) attempt.controller.abort(call.signal.reason);
    };
    const settle = (winner: Attempt | undefined): void => {
      settled = true;
      stopTimer();
      call.signal.removeEventListener('abort', onAbort);
      for (const attempt of attempts)
        if (attempt !== winner && attempt.running)
          attempt.controller.abort(lostTheRace());
      if (!parent) return;
      for (const attempt of winner ? [winner] : attempts)
        if (attempt.scope?.records.length)
          parent.recordDownstream(attempt.scope.records);
    };
    const event = (): HedgeEvent => ({
      service: call.service,
      method: call.method,
      afterMs: clock.now() - startedAt,
    });
    const start = (budgetMs: number): void => {
      const attempt: Attempt = {
        controller: new AbortController(),
        scope: parent && new AttemptScope(parent),
        running: true,
      };
      attempts.push(attempt);
      const hedge = attempts.length > 1;
      const send = (): Promise<UnaryResponse> =>
        next({ ...call, budgetMs, signal: attempt.controller.signal });
      let answer: Promise<UnaryResponse>;
      try {
        answer = attempt.scope ? runInScope(attempt.scope, send) : send();
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (response) => {
          attempt.running = false;
          if (settled) return;
          settle(attempt);
          policy.answered(call.method, clock.now() - startedAt);
          if (hedge) options.onHedgeWon?.(event());
          resolve(response);
        },
        (error: unknown) => {
          attempt.running = false;
          attempt.error = error;
          if (settled || attempts.some((other) => other.running)) return;
          // No other attempt runs: this failure, or both, end the call (and a pending hedge with it).
          settle(undefined);
          reject(
            attempts.find(
              (failed) => failureOf(failed.error).origin === 'downstream',
            )?.error ?? attempts[0].error,
          );
        },
      );
    };
    call.signal.addEventListener('abort', onAbort, { once: true });
    start(call.budgetMs);
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (settled || call.signal.aborted) return;
      const remainingMs = call.budgetMs - (clock.now() - startedAt);
      if (!policy.mayHedge(call.method, remainingMs)) return;
      options.onHedgeSent?.(event());
      start(remainingMs);
    }, delayMs);
  });
}
