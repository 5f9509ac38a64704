import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, finalize, map, type Observable, throwError } from 'rxjs';
import { runInScope } from '../core/deadline-context.js';
import {
  type HopOutcome,
  type HopRecord,
  outcomeOf,
} from '../core/hop-record.js';
import { hopsMetadata, toGrpcError } from '../grpc/grpc-error.js';
import { openServerScope, type ServerCallLike } from '../grpc/server-scope.js';
import {
  DEADLINE_MODULE_OPTIONS,
  DEFAULT_FALLBACK_BUDGET_MS,
  type DeadlineModuleOptions,
} from './deadline.options.js';
import { logRequestEnd } from './request-end.logger.js';
import {
  interceptGrpcStream,
  isGrpcStreamCall,
} from './grpc-stream-deadline.js';
import { untilAborted } from './until-aborted.js';

type UnaryCall = ServerCallLike & {
  getPath?: () => string;
  sendMetadata(metadata: unknown): void;
};

/**
 * gRPC server side: the deadline comes from the call (`grpc-timeout`, parsed by grpc-js), the
 * handler runs with it in scope, a call already expired on arrival never reaches the handler, a
 * cancelled call aborts it, and the reply carries this tier's hop records.
 */
@Injectable()
export class GrpcDeadlineInterceptor implements NestInterceptor {
  private readonly fallbackBudgetMs: number;
  private readonly onRequestEnd: NonNullable<
    DeadlineModuleOptions['onRequestEnd']
  >;

  constructor(
    @Inject(DEADLINE_MODULE_OPTIONS)
    private readonly options: DeadlineModuleOptions,
  ) {
    this.fallbackBudgetMs =
      options.fallbackBudgetMs ?? DEFAULT_FALLBACK_BUDGET_MS;
    this.onRequestEnd = options.onRequestEnd ?? logRequestEnd;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    const call: unknown = context.getArgByIndex(2);
    if (context.getType() !== 'rpc' || !isUnaryCall(call)) return next.handle();
    // A stream (ServerWritableStream has getDeadline() too) is served by its own entry.
    if (isGrpcStreamCall(call))
      return interceptGrpcStream(call, methodOf(call, context), next, {
        ...this.options,
        fallbackBudgetMs: this.fallbackBudgetMs,
        idleMs: this.options.streamIdleMs,
        onRequestEnd: this.onRequestEnd,
      });

    const method =
      call.getPath?.().split('/').pop() ?? context.getHandler().name;
    const { scope, close } = openServerScope(call, method, {
      service: this.options.service,
      fallbackBudgetMs: this.fallbackBudgetMs,
    });
    const { deadline } = scope;
    let outcome: HopOutcome = 'ok';
    let reason: string | undefined;
    let handlerRan = false;
    // The chain as sent back: the request-end report takes this tier's record from it rather than build it again.
    let chain: HopRecord[] | undefined;
    const hops = (final: HopOutcome): HopRecord[] =>
      (chain = scope.hops(final));

    const end = (): void => {
      const aborted = handlerRan && deadline.signal.aborted;
      const own = chain?.[0] ?? scope.record(outcome);
      close();
      this.onRequestEnd({
        ...own,
        hop: scope.hop,
        remainingMs: deadline.remaining(),
        aborted,
        reason,
      });
    };

    const expired = deadline.reason;
    if (expired) {
      // Expired on arrival: answer DEADLINE_EXCEEDED without running any user code.
      outcome = outcomeOf(expired);
      reason = `expired on arrival: ${expired.message}`;
      const error = toGrpcError(expired, hops(outcome));
      end();
      return throwError(() => error);
    }

    handlerRan = true;
    return runInScope(scope, () => next.handle()).pipe(
      untilAborted(deadline.signal),
      map((reply) => {
        call.sendMetadata(hopsMetadata(hops('ok')));
        return reply;
      }),
      catchError((error: unknown) => {
        outcome = outcomeOf(error);
        reason = error instanceof Error ? error.message : String(error);
        return throwError(() => toGrpcError(error, hops(outcome)));
      }),
      finalize(end),
    );
  }
}

/** Nest passes grpc-js's call object as the handler's third argument. */
function isUnaryCall(value: unknown): value is UnaryCall {
  return (
    typeof (value as { getDeadline?: unknown } | null)?.getDeadline ===
    'function'
  );
}

const methodOf = (
  call: { getPath?: () => string },
  context: ExecutionContext,
): string => call.getPath?.().split('/').pop() ?? context.getHandler().name;
