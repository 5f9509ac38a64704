import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';

/**
 * Tells watchers in this process that an order changed here. Only this replica's writes are heard:
 * a watcher also re-reads the database now and then (`ORDER_WATCH_POLL_MS`) for changes made by
 * another replica (its recovery sweeper, say).
 */
@Injectable()
export class OrderChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  changed(orderId: string): void {
    this.emitter.emit(orderId);
  }

  /**
   * Calls `listener` after each change of `orderId`, in the subscriber's async context (so its
   * reads run under the watcher's deadline, not under the writer's). Returns the unsubscribe.
   */
  subscribe(orderId: string, listener: () => void): () => void {
    const bound = AsyncResource.bind(listener);
    this.emitter.on(orderId, bound);
    return () => this.emitter.off(orderId, bound);
  }
}
