import type { Server } from '@grpc/grpc-js';
import type { LoggerService } from '@nestjs/common';
import { type GrpcOptions, ServerGrpc } from '@nestjs/microservices';
import { endOpenStreams, ServerDrainingError } from '@lib/deadline';

/** When a client whose stream a drain ended should reconnect (to another replica, or this one restarted). */
const RECONNECT_AFTER_MS = 1_000;

/**
 * Nest's gRPC server with a bounded drain on shutdown. Nest's default (`forceShutdown`) cancels
 * every call in flight, so a rolling restart fails requests that were about to succeed; its
 * `gracefulShutdown` option waits with no bound. This one refuses new calls at once, lets the
 * calls in flight finish (each ends by its own deadline at the latest) for up to `drainMs`, then
 * cancels the rest.
 */
export class DrainingGrpcServer extends ServerGrpc {
  constructor(
    options: Readonly<GrpcOptions>['options'],
    private readonly drainMs: number,
    private readonly log: LoggerService,
  ) {
    super(options);
  }

  override async close(): Promise<void> {
    // Nest types it as `any`; it is grpc-js's Server, null once closed.
    const server = this.grpcClient as Server | null;
    if (server) {
      const started = performance.now();
      // Streams (a watch) would hold the drain to its end: they end now, UNAVAILABLE, told to reconnect.
      const streams = endOpenStreams(
        new ServerDrainingError(RECONNECT_AFTER_MS),
      );
      this.log.log({ msg: 'draining', drainMs: this.drainMs, streams });
      const forced = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve(true);
        }, this.drainMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      this.log.log({
        msg: 'drained',
        elapsedMs: Math.round(performance.now() - started),
        forced,
      });
    }
    await super.close();
  }
}
