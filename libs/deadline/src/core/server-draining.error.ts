import { DomainError } from './domain.error.js';
import { GrpcStatus } from './grpc-status.js';

/**
 * The server is shutting down and ends what it still serves: `UNAVAILABLE`, with a hint of when
 * to reconnect (another replica, or this one restarted). Open streams end with it on SIGTERM.
 */
export class ServerDrainingError extends DomainError {
  constructor(
    /** When the client may try again: the `retry-after-ms` trailer, an SSE `retry:` field at the edge. */
    readonly retryAfterMs: number,
    message = 'the server is shutting down; reconnect',
  ) {
    super(GrpcStatus.UNAVAILABLE, 'unavailable', message);
  }
}
