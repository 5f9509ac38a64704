import { type Client, Metadata, type MethodDefinition } from '@grpc/grpc-js';
import {
  type ClientMiddleware,
  composeClient,
  type OutgoingCall,
} from './client-middleware.js';
import { collectHops } from './collect-hops.js';
import { NEVER_ABORTS } from '../core/link-signals.js';
import { fixedTimeout } from './fixed-timeout.js';
import {
  propagateDeadline,
  type PropagateDeadlineOptions,
} from './propagate-deadline.js';
import { unaryTransport } from './unary-transport.js';

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

export interface DeadlineClientOptions extends PropagateDeadlineOptions {
  /** Downstream name, for records, logs and breakers. */
  readonly service: string;
  /** Steps between the deadline and the wire (tracing, breakers, retries), outermost first. */
  readonly middleware?: readonly ClientMiddleware[];
  /** Collect the hop records downstreams send back into the current scope. @default true */
  readonly collectHops?: boolean;
  /**
   * Naive mode, for comparison only: every call gets this fixed timeout, ignores the current
   * deadline and is not cancelled when it aborts, as in a stack with no propagation. @default undefined (propagate)
   */
  readonly fixedTimeoutMs?: number;
}

/**
 * Wraps a grpc-js client so every unary call takes its budget from the current deadline
 * (`min(remaining, cap) − reserve`), is cancelled on the wire when that deadline aborts, and
 * reports the downstream's hop records back into the current scope. Handlers pass nothing by hand.
 *
 * The pipeline, outermost first, in this one place:
 * deadline ({@link propagateDeadline}, or {@link fixedTimeout} in naive mode) → `middleware` →
 * hop records ({@link collectHops}) → the wire ({@link unaryTransport}).
 */
export function createDeadlineClient<T>(
  raw: Client,
  options: DeadlineClientOptions,
): DeadlineClient<T> {
  const { service, fixedTimeoutMs } = options;
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

  const steps: ClientMiddleware[] = [
    fixedTimeoutMs === undefined
      ? propagateDeadline(options)
      : fixedTimeout(fixedTimeoutMs),
    ...(options.middleware ?? []),
    ...(options.collectHops === false ? [] : [collectHops()]),
  ];
  const client: Record<
    string,
    (request: unknown, options?: CallOptions) => Promise<unknown>
  > = {};
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const invoke = composeClient(steps, unaryTransport(raw, method));
    const call = async (
      request: unknown,
      callOptions?: CallOptions,
    ): Promise<unknown> => {
      const outgoing: OutgoingCall = {
        service,
        method: name,
        request,
        metadata: new Metadata(),
        budgetMs: Infinity,
        signal: callOptions?.signal ?? NEVER_ABORTS,
      };
      return (await invoke(outgoing)).message;
    };
    client[name] = call;
    if (method.originalName) client[method.originalName] = call;
  }
  return client as DeadlineClient<T>;
}
