import { setMaxListeners } from 'node:events';
import { CancelledError } from './cancelled.error.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';

export interface DeadlineOptions {
  /** Aborting this signal cancels the deadline too (client hung up, parent deadline passed). */
  readonly signal?: AbortSignal;
  /** @default systemClock */
  readonly clock?: Clock;
}

export interface ChildBudgetOptions {
  /** Time kept back for the reply to travel home. @default 0 */
  readonly reserveMs?: number;
  /** Local ceiling for the child, whatever the parent has left. @default Infinity */
  readonly capMs?: number;
}

/**
 * A point in time after which nobody should keep working on a request, plus the signal that
 * tells them. Created from a relative budget (what the wire carries), held as an absolute time
 * on a monotonic clock. One timer, one controller; both are released when the deadline fires,
 * is cancelled, or is disposed.
 */
export class Deadline {
  /** Monotonic time (clock.now()) at creation. */
  readonly startedAt: number;
  /** Monotonic time at which the deadline passes. */
  readonly expiresAt: number;
  /** Aborted with a {@link DeadlineExceededError} or {@link CancelledError} (or the parent's reason). */
  readonly signal: AbortSignal;

  private readonly controller = new AbortController();
  private timer: TimerHandle | undefined;
  private parent: AbortSignal | undefined;
  private disposed = false;

  private constructor(
    /** The budget this deadline was created with. */
    readonly budgetMs: number,
    private readonly clock: Clock,
    parent: AbortSignal | undefined,
  ) {
    this.signal = this.controller.signal;
    this.startedAt = clock.now();
    this.expiresAt = this.startedAt + budgetMs;

    if (parent?.aborted) {
      this.abort(adoptReason(parent.reason));
      return;
    }
    if (!(budgetMs > 0)) {
      this.abort(
        new DeadlineExceededError(
          `deadline exceeded: budget was ${formatMs(budgetMs)}`,
        ),
      );
      return;
    }
    if (parent) {
      this.parent = parent;
      parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
    if (Number.isFinite(budgetMs)) {
      this.timer = clock.setTimeout(
        this.onTimeout,
        Math.min(budgetMs, MAX_TIMER_DELAY_MS),
      );
    }
  }

  /** A deadline `budgetMs` from now. A budget ≤ 0 is already expired. */
  static after(budgetMs: number, options: DeadlineOptions = {}): Deadline {
    return new Deadline(budgetMs, options.clock ?? systemClock, options.signal);
  }

  /** Milliseconds left (never negative; 0 once aborted). */
  remaining(): number {
    if (this.signal.aborted) return 0;
    return Math.max(0, this.expiresAt - this.clock.now());
  }

  /** Milliseconds spent since creation. */
  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  /** True once the deadline has passed or was cancelled: no more work should start. */
  get expired(): boolean {
    return this.signal.aborted || this.clock.now() >= this.expiresAt;
  }

  /** Why the work should stop, once it should. */
  get reason(): DeadlineExceededError | CancelledError | undefined {
    if (this.signal.aborted)
      return this.signal.reason as DeadlineExceededError | CancelledError;
    if (this.clock.now() >= this.expiresAt) return new DeadlineExceededError();
    return undefined;
  }

  /** Throws the reason to stop, if there is one. Call it before starting anything expensive. */
  throwIfExpired(): void {
    const reason = this.reason;
    if (reason) throw reason;
  }

  /** The budget to hand a child hop: `min(remaining, cap) − reserve`, never negative. */
  budgetFor(options: ChildBudgetOptions = {}): number {
    const { reserveMs = 0, capMs = Infinity } = options;
    return Math.max(0, Math.min(this.remaining(), capMs) - reserveMs);
  }

  /** A new deadline for a child hop, aborted when this one is. Dispose it when the child's work ends. */
  child(options: ChildBudgetOptions = {}): Deadline {
    return new Deadline(this.budgetFor(options), this.clock, this.signal);
  }

  /**
   * Lifts EventTarget's 10-listener warning on this signal, for work that fans out to many
   * concurrent listeners. Not done by default: `setMaxListeners` costs more than the deadline itself.
   */
  allowManyListeners(): void {
    setMaxListeners(0, this.signal);
  }

  /** Stops the work now: the signal aborts with a {@link CancelledError} (or `reason`). */
  cancel(reason: Error = new CancelledError()): void {
    if (!this.disposed) this.abort(reason);
  }

  /**
   * Releases the timer and the parent listener without aborting. Call it in `finally` when the
   * work is done; later cancellations are ignored.
   */
  dispose(): void {
    this.disposed = true;
    this.release();
  }

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    // Timers cap at ~24.8 days (a longer delay fires at once): re-arm until the real expiry.
    const left = this.expiresAt - this.clock.now();
    if (left > EXPIRY_TOLERANCE_MS) {
      this.timer = this.clock.setTimeout(
        this.onTimeout,
        Math.min(left, MAX_TIMER_DELAY_MS),
      );
      return;
    }
    this.abort(
      new DeadlineExceededError(
        `deadline exceeded after ${formatMs(this.budgetMs)}`,
      ),
    );
  };

  private readonly onParentAbort = (): void => {
    const reason: unknown = this.parent?.reason;
    this.parent = undefined;
    this.abort(adoptReason(reason));
  };

  private abort(reason: Error): void {
    if (this.signal.aborted) return;
    this.release();
    this.controller.abort(reason);
  }

  private release(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.parent !== undefined) {
      this.parent.removeEventListener('abort', this.onParentAbort);
      this.parent = undefined;
    }
  }
}

/** Largest delay `setTimeout` honours; anything longer fires immediately (TimeoutOverflowWarning). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** Timers may fire a fraction of a millisecond early on the monotonic clock; that counts as on time. */
const EXPIRY_TOLERANCE_MS = 1;

/** Keeps our own reasons as they are; anything else from a foreign signal becomes a cancellation. */
function adoptReason(reason: unknown): Error {
  if (DeadlineExceededError.is(reason) || CancelledError.is(reason))
    return reason;
  return new CancelledError('cancelled by the parent signal', {
    cause: reason,
  });
}

function formatMs(ms: number): string {
  return `${Math.round(ms * 1000) / 1000} ms`;
}
