import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import {
  catchError,
  finalize,
  from,
  type Observable,
  switchMap,
  throwError,
} from 'rxjs';
import { currentDeadline } from '@lib/deadline';
import { CallDroppedError } from '../core/call-dropped.error.js';
import { FaultRegistry } from '../core/fault-registry.js';
import { injectFault } from '../core/inject-fault.js';
import { dropCall } from '../grpc/drop-call.js';
import {
  CHAOS_MODULE_OPTIONS,
  type ChaosModuleOptions,
} from './chaos.options.js';

type ServerCall = {
  getPath?: () => string;
  metadata?: { get(key: string): unknown[] };
};

/**
 * The gRPC server hook: a call caught by an active fault is delayed, answered with an error,
 * dropped or held before its handler runs. Registered inside the deadline interceptor, so the
 * fault sees the call's deadline and a delay ends when the caller gives up.
 * Each caught call logs `chaos call ended` with how long it was held and how long the held
 * work went on after the call's deadline aborted (`overrunMs`, the orphaned work).
 */
@Injectable()
export class ChaosInterceptor implements NestInterceptor {
  private readonly logger = new Logger('chaos');
  private readonly honourDeadline: boolean;

  constructor(
    private readonly registry: FaultRegistry,
    @Inject(CHAOS_MODULE_OPTIONS) private readonly options: ChaosModuleOptions,
  ) {
    this.honourDeadline = options.honourDeadline ?? true;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    if (!this.options.enabled || context.getType() !== 'rpc')
      return next.handle();
    const call = context.getArgByIndex<ServerCall | undefined>(2);
    const method =
      call?.getPath?.().split('/').pop() ?? context.getHandler().name;
    const lease = this.registry.enter(method);
    const fault = lease.fault;
    // Bound to the request's scope now, while it is current.
    const handled = next.handle();
    if (!fault) return handled.pipe(finalize(() => lease.release()));

    const signal = currentDeadline()?.signal;
    const startedAt = performance.now();
    let abortedAt: number | undefined;
    const onAbort = (): void => {
      abortedAt = performance.now();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const held = injectFault(fault, {
      signal,
      honourDeadline: this.honourDeadline,
    }).finally(() => {
      const endedAt = performance.now();
      signal?.removeEventListener('abort', onAbort);
      lease.release();
      this.logger.log({
        msg: 'chaos call ended',
        method,
        faultId: fault.id,
        kind: fault.kind,
        heldMs: round(endedAt - startedAt),
        overrunMs: abortedAt === undefined ? 0 : round(endedAt - abortedAt),
        traceId: traceIdOf(call),
        endedAtEpochMs: round(performance.timeOrigin + endedAt),
      });
    });
    return from(held).pipe(
      switchMap(() => handled),
      catchError((error: unknown) => {
        if (CallDroppedError.is(error)) dropCall(call);
        return throwError(() => error);
      }),
    );
  }
}

/** The trace id of W3C `traceparent`, when the caller sent one: lets a benchmark match a held call to its request. */
function traceIdOf(call: ServerCall | undefined): string | undefined {
  const header = call?.metadata?.get('traceparent')[0];
  return typeof header === 'string' ? header.split('-')[1] : undefined;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
