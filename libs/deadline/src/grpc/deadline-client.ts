import {
  type Client,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { DeadlineExceededError } from '../core/deadline-exceeded.error.js';
import { currentScope } from '../core/deadline-context.js';
import {
  decodeHops,
  type HopOutcome,
  type HopRecord,
  HOPS_METADATA_KEY,
  outcomeOf,
} from '../core/hop-record.js';
import { GrpcStatus } from '../core/grpc-status.js';
import {
  DownstreamError,
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './downstream.error.js';
import { HOP_METADATA_KEY } from './metadata-keys.js';
import { linkSignals } from '../core/link-signals.js';
import { reportLostDeadline } from '../core/lost-deadline.js';

/** One outgoing unary call as it passes through client middleware. */
export interface OutgoingCall {
  /** Downstream service name (`inventory`), as configured. */
  readonly service: string;
  /** Method name as in the proto (`Reserve`). */
  readonly method: string;
  readonly request: unknown;
  readonly metadata: Metadata;
  /** Budget this attempt may use; becomes the call's `deadline` option (and so `grpc-timeout`). */
  readonly budgetMs: number;
  /** Aborting it cancels the call on the wire. */
  readonly signal: AbortSignal;
  /** Receives the hop records the downstream sent back (response headers or trailers). */
  readonly recordHops: (hops: readonly HopRecord[]) => void;
}

export type UnaryInvoker = (call: OutgoingCall) => Promise<unknown>;
/** Wraps the invoker: breakers, retries, tracing plug in here, `(next) => (call) => …`. */
export type ClientMiddleware = (next: UnaryInvoker) => UnaryInvoker;

export interface CallOptions {
  /** Extra cancellation for this call only (e.g. an Observable's unsubscribe). */
  readonly signal?: AbortSignal;
}

/** A client whose methods return promises and carry the current deadline by themselves. */
export type DeadlineClient<T> = {
  [K in keyof T]: T[K] extends (request: infer Req) => Promise<infer Res>
    ? (request: Req, options?: CallOptions) => Promise<Res>
    : never;
};

export interface DeadlineClientOptions {
  /** Downstream name, for records, logs and breakers. */
  readonly service: string;
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
  /** Applied outermost first. */
  readonly middleware?: readonly ClientMiddleware[];
  /**
   * Naive mode, for comparison only: every call gets this fixed timeout, ignores the current
   * deadline and is not cancelled when it aborts, as in a stack with no propagation. @default undefined (propagate)
   */
  readonly fixedTimeoutMs?: number;
}

const warnMissingDeadline = (service: string, method: string): void =>
  reportLostDeadline('grpc', `${service}.${method}`);

/**
 * Wraps a grpc-js client so every unary call takes its budget from the current deadline
 * (`min(remaining, cap) − reserve`), is cancelled on the wire when that deadline aborts, and
 * reports the downstream's hop records back into the current scope. Handlers pass nothing by hand.
 */
export function createDeadlineClient<T>(
  raw: Client,
  options: DeadlineClientOptions,
): DeadlineClient<T> {
  const {
    service,
    reserveMs = 10,
    capMs = Infinity,
    noDeadlineBudgetMs = 5_000,
    onMissingDeadline = warnMissingDeadline,
    fixedTimeoutMs,
  } = options;
  const definition = (
    raw.constructor as unknown as {
      service?: Record<
        string,
        MethodDefinition<unknown, unknown> & { originalName?: string }
      >;
    }
  ).service;
  if (!definition)
    throw new TypeError(
      `createDeadlineClient(${service}): not a grpc-js generated client`,
    );

  const client: Record<
    string,
    (request: unknown, options?: CallOptions) => Promise<unknown>
  > = {};
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const invoke = (options.middleware ?? []).reduceRight<UnaryInvoker>(
      (next, middleware) => middleware(next),
      unaryInvoker(raw, method),
    );
    const call = async (
      request: unknown,
      callOptions?: CallOptions,
    ): Promise<unknown> => {
      const scope = currentScope();
      let budgetMs: number;
      if (fixedTimeoutMs !== undefined) {
        budgetMs = fixedTimeoutMs;
      } else if (scope) {
        budgetMs = scope.deadline.budgetFor({ reserveMs, capMs });
        if (budgetMs <= 0) {
          throw new DeadlineExceededError(
            `no budget left to call ${service}.${name} (${scope.deadline.remaining().toFixed(1)} ms remaining, ${reserveMs} ms reserve)`,
          );
        }
        scope.recordForward(budgetMs);
      } else {
        onMissingDeadline(service, name);
        budgetMs = Math.min(noDeadlineBudgetMs, capMs);
      }
      const metadata = new Metadata();
      metadata.set(HOP_METADATA_KEY, String((scope?.hop ?? 0) + 1));
      const link = linkSignals(
        fixedTimeoutMs === undefined ? scope?.deadline.signal : undefined,
        callOptions?.signal,
      );
      const recordHops = (hops: readonly HopRecord[]): void =>
        scope?.recordDownstream(hops);
      scope?.callStarted();
      try {
        return await invoke({
          service,
          method: name,
          request,
          metadata,
          budgetMs,
          signal: link.signal,
          recordHops,
        });
      } finally {
        scope?.callEnded();
        link.dispose();
      }
    };
    client[name] = call;
    if (method.originalName) client[method.originalName] = call;
  }
  return client as DeadlineClient<T>;
}

function unaryInvoker(
  raw: Client,
  method: MethodDefinition<unknown, unknown>,
): UnaryInvoker {
  return (call) =>
    new Promise((resolve, reject) => {
      if (call.signal.aborted) {
        reject(call.signal.reason);
        return;
      }
      const startedAt = performance.now();
      let answered = false;
      const collect = (metadata: Metadata | undefined): void => {
        const found = decodeHops(metadata?.get(HOPS_METADATA_KEY)[0]);
        if (found.length) {
          answered = true;
          call.recordHops(found);
        }
      };
      // A callee that ran out of time or was cancelled cannot report itself (its deadline is anchored
      // at arrival, so ours fires first): record what we saw, so the chain stays complete.
      const recordUnanswered = (outcome: HopOutcome): void => {
        if (!answered)
          call.recordHops([
            {
              service: call.service,
              method: call.method,
              receivedBudgetMs: round(call.budgetMs),
              spentMs: round(performance.now() - startedAt),
              forwardedBudgetMs: null,
              outcome,
            },
          ]);
      };
      const onAbort = (): void => grpcCall.cancel();
      const grpcCall = raw.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        call.request,
        call.metadata,
        { deadline: Date.now() + call.budgetMs },
        (error: ServiceError | null, response?: unknown) => {
          call.signal.removeEventListener('abort', onAbort);
          if (!error) {
            resolve(response);
            return;
          }
          collect(error.metadata);
          // We cancelled it: report why (deadline, caller gone, breaker), not grpc-js's generic CANCELLED.
          const failure: unknown = call.signal.aborted
            ? call.signal.reason
            : toDownstreamError(error, call);
          const outcome = outcomeOf(failure);
          if (outcome !== 'error') recordUnanswered(outcome);
          reject(failure);
        },
      );
      grpcCall.on('metadata', collect);
      call.signal.addEventListener('abort', onAbort, { once: true });
    });
}

/** A downstream's non-OK status as our error (also used for streams, by stream-client.ts). */
export function toDownstreamError(
  error: ServiceError,
  call: Pick<OutgoingCall, 'service' | 'method' | 'budgetMs'>,
): DownstreamError {
  const reason = error.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  const code =
    error.code in GrpcStatus
      ? (error.code as number as GrpcStatus)
      : GrpcStatus.UNKNOWN;
  if (code === GrpcStatus.CANCELLED) {
    // We did not cancel (that path never gets here), so the downstream dropped the call, as a server
    // shutting down does. Our caller is still waiting: that is an unavailable downstream, not a hang-up (499).
    return new DownstreamError(
      GrpcStatus.UNAVAILABLE,
      undefined,
      'the downstream cancelled the call',
      call.service,
      call.method,
    );
  }
  // grpc-js's own texts name internal addresses; say what happened in our terms instead.
  // (A downstream that answered itself sent its error code as a trailer: keep its words then.)
  const details =
    typeof reason === 'string'
      ? (error.details ?? '')
      : code === GrpcStatus.DEADLINE_EXCEEDED
        ? `no answer within its ${Math.round(call.budgetMs)} ms budget`
        : code === GrpcStatus.UNAVAILABLE
          ? 'unavailable'
          : (error.details ?? '');
  const retryAfter = Number(error.metadata?.get(RETRY_AFTER_METADATA_KEY)[0]);
  const retryAfterMs =
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
  return new DownstreamError(
    code,
    typeof reason === 'string' ? reason : undefined,
    details,
    call.service,
    call.method,
    retryAfterMs,
  );
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
