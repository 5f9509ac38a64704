import type { EventEmitter } from 'node:events';
import { runInScope } from './deadline-context.js';
import type { DeadlineScope } from './deadline-scope.js';

/**
 * Makes `emitter` emit every event inside `scope`, so its listeners (and the work they start) see the
 * request's deadline: a request stream's messages are pushed from its transport's own async context
 * (grpc-js's HTTP/2 session), not from the handler's, whatever context the listener was added in.
 * Returns the undo, for when the request ends.
 */
export function emitInScope(
  emitter: Pick<EventEmitter, 'emit'>,
  scope: DeadlineScope,
): () => void {
  const own = Object.hasOwn(emitter, 'emit');
  const emit = emitter.emit;
  const scoped = function (
    this: unknown,
    event: string | symbol,
    ...args: unknown[]
  ): boolean {
    return runInScope(scope, () => emit.call(this, event, ...args));
  };
  emitter.emit = scoped;
  return () => {
    if (emitter.emit !== scoped) return; // someone wrapped it after us: leave theirs in place
    if (own) emitter.emit = emit;
    else delete (emitter as { emit?: unknown }).emit;
  };
}
