import type { Metadata } from '@grpc/grpc-js';

/** One outgoing unary call as it passes through client middleware. */
export interface OutgoingCall {
  /** Downstream service name (`inventory`), as configured. */
  readonly service: string;
  /** Method name as in the proto (`Reserve`). */
  readonly method: string;
  readonly request: unknown;
  /** Request metadata; a step may add to it before calling `next`. */
  readonly metadata: Metadata;
  /** Budget this attempt may use; becomes the call's `deadline` option (and so `grpc-timeout`). `Infinity` sends none. */
  readonly budgetMs: number;
  /** Aborting it cancels the call on the wire. */
  readonly signal: AbortSignal;
}

/** What a unary call returns through the chain (connect-es's `UnaryResponse`): the message and both metadata. */
export interface UnaryResponse<T = unknown> {
  readonly message: T;
  /** Response headers. */
  readonly header: Metadata;
  readonly trailer: Metadata;
}

export type UnaryInvoker = (call: OutgoingCall) => Promise<UnaryResponse>;

/**
 * One step of the client pipeline, `(next) => (call) => …`: it may change the call, read the
 * response or the failure, retry, refuse. A step that is off is not in the chain at all.
 */
export type ClientMiddleware = (next: UnaryInvoker) => UnaryInvoker;

/** Applies `steps` outermost first around `invoker`. */
export function composeClient(
  steps: readonly ClientMiddleware[],
  invoker: UnaryInvoker,
): UnaryInvoker {
  return steps.reduceRight<UnaryInvoker>((next, step) => step(next), invoker);
}
