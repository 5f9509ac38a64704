import { AsyncResource } from 'node:async_hooks';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  catchError,
  defer,
  finalize,
  map,
  mergeMap,
  type Observable,
  throwError,
} from 'rxjs';
import type { BudgetPolicy } from '../core/budget-policy.js';
import { CancelledError } from '../core/cancelled.error.js';
import { Deadline } from '../core/deadline.js';
import { runInScope } from '../core/deadline-context.js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { DeadlineScope } from '../core/deadline-scope.js';
import { failureOf } from '../core/failure.js';
import { readJsonBody } from '../core/read-json-body.js';
import { type HopOutcome, type HopRecord } from '../core/hop-record.js';
import {
  DEADLINE_MODULE_OPTIONS,
  DEFAULT_BUDGET_POLICY,
  DEFAULT_STREAM_BUDGET_POLICY,
  type DeadlineModuleOptions,
} from './deadline.options.js';
import { isEventStreamRoute } from './deadline-sse.decorator.js';
import { interceptEventStream } from './sse-deadline.js';
import { edgeBudget, edgeMethodName } from './edge-budget.js';
import { attachScope } from './request-scope.js';
import { logRequestEnd } from './request-end.logger.js';
import { serverTiming } from './server-timing.js';
import { untilAborted } from './until-aborted.js';

/**
 * The edge: reads the client's budget (`X-Request-Timeout`, `?timeout=`, Envoy's header; the
 * smallest wins), applies the policy, starts the deadline, aborts it when the client hangs up,
 * and answers at the deadline even if a downstream does not. With the `body` option it reads the
 * JSON body too, after the deadline started, so a body that arrives slowly (or never) is bounded by it.
 */
@Injectable()
export class HttpDeadlineInterceptor implements NestInterceptor {
  private readonly policy: BudgetPolicy;
  private readonly onRequestEnd: NonNullable<
    DeadlineModuleOptions['onRequestEnd']
  >;

  constructor(
    @Inject(DEADLINE_MODULE_OPTIONS)
    private readonly options: DeadlineModuleOptions,
  ) {
    this.policy = options.policy ?? DEFAULT_BUDGET_POLICY;
    this.onRequestEnd = options.onRequestEnd ?? logRequestEnd;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    if (isEventStreamRoute(context))
      return interceptEventStream(context, next, {
        ...this.options,
        policy: this.options.streamPolicy ?? DEFAULT_STREAM_BUDGET_POLICY,
        idleMs: this.options.streamIdleMs,
        maxBufferedBytes: this.options.streamMaxBufferedBytes,
        errorCodes: this.options.errorCodes && new Set(this.options.errorCodes),
        onRequestEnd: this.onRequestEnd,
      });
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();

    const resolved = edgeBudget(request, this.policy);
    if (!resolved.ok) return throwError(() => resolved.error);
    const { budgetMs, belowMinimum } = resolved.value;

    const method = edgeMethodName(request);
    const deadline = Deadline.after(belowMinimum ? 0 : budgetMs);
    const scope = new DeadlineScope(
      deadline,
      this.options.service,
      method,
      budgetMs,
      0,
      this.options.replica,
    );
    attachScope(request, scope);
    let outcome: HopOutcome = 'ok';
    let reason: string | undefined;
    // The chain as it stood when the answer was ready: written to Server-Timing, then reported.
    let hops: HopRecord[] | undefined;
    const answer = (): void => {
      hops = scope.hops(outcome);
      if (!response.headersSent)
        response.setHeader('Server-Timing', serverTiming(hops));
    };

    // 'close' fires in the socket's async context; the abort, and the request-end hook after it, run
    // in the request's (its async-local state: trace context for the log line, for one).
    const requestContext = new AsyncResource('DeadlineHttpRequest');
    const onClose = (): void => {
      if (!response.writableFinished)
        requestContext.runInAsyncScope(() =>
          deadline.cancel(
            new CancelledError('the client closed the connection'),
          ),
        );
    };
    const end = (): void => {
      response.off('close', onClose);
      const aborted = deadline.signal.aborted;
      const chain = hops ?? scope.hops(outcome);
      deadline.dispose();
      this.onRequestEnd({
        ...chain[0],
        hop: 0,
        remainingMs: deadline.remaining(),
        aborted,
        reason,
        hops: chain,
      });
    };

    if (deadline.expired) {
      outcome = 'deadline_exceeded';
      reason = belowMinimum
        ? `budget ${budgetMs} ms is below the minimum of ${this.policy.minBudgetMs} ms`
        : 'expired on arrival';
      answer();
      end();
      return throwError(
        () =>
          new DeadlineExceededError(
            `deadline exceeded: ${reason}; no tier was called`,
          ),
      );
    }

    response.on('close', onClose);
    const handle = (): Observable<unknown> =>
      runInScope(scope, () => next.handle()).pipe(
        untilAborted(deadline.signal),
      );
    const bodyOptions = this.options.body;
    // Read here unless something (the platform's body parser) already has.
    const work =
      bodyOptions === undefined || request.readableEnded
        ? handle()
        : defer(() => readJsonBody(request, bodyOptions, deadline.signal)).pipe(
            mergeMap((read) => {
              if (!read.ok) throw read.error;
              (request as { body?: unknown }).body = read.value;
              return handle();
            }),
          );
    return work.pipe(
      map((body) => {
        answer();
        return body;
      }),
      catchError((error: unknown) => {
        outcome = failureOf(error).outcome;
        reason = error instanceof Error ? error.message : String(error);
        answer();
        return throwError(() => error);
      }),
      finalize(end),
    );
  }
}
