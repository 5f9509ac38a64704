import { BulkheadFullError } from './bulkhead-full.error.js';

export interface BulkheadOptions {
  /** Name in errors. */
  readonly name: string;
  /** Calls allowed to run at once. @default 100 */
  readonly maxConcurrent?: number;
  /** Calls allowed to wait for a slot; beyond that, fail fast. @default 100 */
  readonly maxQueue?: number;
}

interface Waiter {
  readonly start: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * Bounds concurrent calls to one downstream. A queued call leaves the queue the moment its
 * signal aborts (cockatiel's bulkhead keeps it queued until a slot frees up, then rejects).
 */
export class Bulkhead {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  private active = 0;
  private readonly queue = new Set<Waiter>();

  constructor(private readonly options: BulkheadOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 100;
    this.maxQueue = options.maxQueue ?? 100;
    if (!(this.maxConcurrent >= 1) || !(this.maxQueue >= 0))
      throw new RangeError(
        `Bulkhead(${options.name}): maxConcurrent must be ≥ 1 and maxQueue ≥ 0`,
      );
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.size;
  }

  async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    // A queued call is handed its slot by the call that leaves (no gap for a newcomer to jump in).
    if (this.active < this.maxConcurrent) this.active++;
    else await this.wait(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private wait(signal: AbortSignal | undefined): Promise<void> {
    if (this.queue.size >= this.maxQueue)
      return Promise.reject(
        new BulkheadFullError(
          this.options.name,
          this.maxConcurrent,
          this.maxQueue,
        ),
      );
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        start: () => {
          signal?.removeEventListener('abort', waiter.onAbort);
          resolve();
        },
        onAbort: () => {
          this.queue.delete(waiter);
          reject(signal!.reason);
        },
      };
      this.queue.add(waiter);
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
    });
  }

  private release(): void {
    const first = this.queue.values().next();
    if (first.done) {
      this.active--;
      return;
    }
    this.queue.delete(first.value);
    first.value.start();
  }
}
