import { ServerDrainingError } from './server-draining.error.js';

/** Ends one open stream with the error given (its status goes to the client). */
export type StreamEnder = (error: Error) => void;

const open = new Set<StreamEnder>();

/**
 * Registers a stream this process is serving, so a drain can end it; returns the function that
 * takes it off again (call it when the stream ends, however it ends).
 */
export function trackOpenStream(end: StreamEnder): () => void {
  open.add(end);
  return () => open.delete(end);
}

/** Streams this process is serving now. */
export function openStreamCount(): number {
  return open.size;
}

/**
 * Ends every stream served here with `error` (by default `UNAVAILABLE`, reconnect after
 * `retryAfterMs`): a server that drains cannot wait for a watch to end by itself. Returns how many.
 */
export function endOpenStreams(
  error: Error = new ServerDrainingError(1_000),
): number {
  const ending = [...open];
  open.clear();
  for (const end of ending) end(error);
  return ending.length;
}
