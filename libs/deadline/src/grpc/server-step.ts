import type { ServerCallLike } from './server-scope.js';

/** A grpc-js unary server call as the steps see it (grpc-js's `ServerUnaryCall` fits). */
export interface ServerUnaryCallLike extends ServerCallLike {
  getPath?(): string;
  sendMetadata(metadata: unknown): void;
}

/** One incoming unary call as it passes through the server pipeline. */
export interface IncomingCall {
  /** Method name as in the proto (`Reserve`). */
  readonly method: string;
  readonly call: ServerUnaryCallLike;
}

/** Runs the rest of the pipeline (and, at its end, the handler); resolves with the reply. */
export type ServerNext = () => Promise<unknown>;

/**
 * One step of the server pipeline (deadline entry, trace context, span attributes, fault
 * injection): it may run code before and after `next`, or answer without calling it.
 */
export type ServerStep = (
  incoming: IncomingCall,
  next: ServerNext,
) => Promise<unknown>;

/** Runs `steps` in order around `handler`, for one call. */
export function runServerSteps(
  steps: readonly ServerStep[],
  incoming: IncomingCall,
  handler: ServerNext,
): Promise<unknown> {
  const at = (index: number): Promise<unknown> =>
    index === steps.length
      ? handler()
      : steps[index](incoming, () => at(index + 1));
  return at(0);
}
