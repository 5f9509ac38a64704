import {
  abortable,
  type Clock,
  currentDeadline,
  type Deadline,
  systemClock,
  type TimerHandle,
} from '@lib/deadline';

export interface WriteBatchOptions<K, R = void> {
  /** How long the first key of a batch waits for more before they are written; 0 writes each key at once. */
  readonly windowMs: number;
  /** A batch holding this many keys is written without waiting out its window. @default 1000 */
  readonly maxKeys?: number;
  /**
   * Writes every key of a batch in one statement, under `deadline`: the latest deadline among the
   * callers still waiting (undefined for a key added with no deadline in scope, written alone).
   * Resolves with each key's result (a row the statement returned), or with nothing.
   */
  readonly write: (
    keys: readonly K[],
    deadline: Deadline | undefined,
  ) => Promise<ReadonlyMap<K, R> | void>;
  /** @default systemClock */
  readonly clock?: Clock;
}

type Written<K, R> = ReadonlyMap<K, R> | void;

interface OpenBatch<K, R> {
  readonly keys: K[];
  readonly deadlines: Deadline[];
  readonly done: Promise<Written<K, R>>;
  readonly settle: (work: Promise<Written<K, R>>) => void;
  timer?: TimerHandle;
}

/**
 * Group commit for writes that can wait a few milliseconds (bookkeeping after the answer has gone,
 * such as marking a saga settled): the keys added within one window are written by one statement,
 * so under load N orders cost one round trip and one commit instead of N. `add` resolves once the
 * statement holding its key has committed (with the key's result, when the statement returns rows),
 * and rejects as soon as the caller's own deadline aborts.
 * A key whose caller gave up before its batch was sealed is left out; the statement runs under the
 * latest deadline of those still waiting, so it never outlives all of them.
 */
export class WriteBatch<K, R = void> {
  private open: OpenBatch<K, R> | undefined;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(private readonly options: WriteBatchOptions<K, R>) {
    this.maxKeys = Math.max(1, options.maxKeys ?? 1_000);
    this.clock = options.clock ?? systemClock;
  }

  /** Adds `key` to the open batch (opening one); bound to `deadline`, the current one by default. */
  add(
    key: K,
    deadline: Deadline | undefined = currentDeadline(),
  ): Promise<R | undefined> {
    if (deadline?.signal.aborted)
      return Promise.reject(deadline.signal.reason as Error);
    const resultOf = (written: Written<K, R>): R | undefined =>
      written ? written.get(key) : undefined;
    if (!deadline || this.options.windowMs <= 0)
      return this.options.write([key], deadline).then(resultOf);
    const batch = this.open ?? this.openBatch();
    batch.keys.push(key);
    batch.deadlines.push(deadline);
    if (batch.keys.length >= this.maxKeys) this.seal(batch);
    return abortable(batch.done, deadline.signal).then(resultOf);
  }

  private openBatch(): OpenBatch<K, R> {
    let settle!: (work: Promise<Written<K, R>>) => void;
    const done = new Promise<Written<K, R>>((resolve) => {
      settle = (work) => resolve(work);
    });
    const batch: OpenBatch<K, R> = { keys: [], deadlines: [], done, settle };
    batch.timer = this.clock.setTimeout(
      () => this.seal(batch),
      this.options.windowMs,
    );
    this.open = batch;
    return batch;
  }

  private seal(batch: OpenBatch<K, R>): void {
    if (this.open === batch) this.open = undefined;
    if (batch.timer !== undefined) this.clock.clearTimeout(batch.timer);
    // A key added twice (a retried call) is written once; both callers get its result.
    const keys = new Set<K>();
    let latest: Deadline | undefined;
    batch.deadlines.forEach((deadline, i) => {
      if (deadline.signal.aborted) return;
      keys.add(batch.keys[i]);
      if (!latest || deadline.expiresAt > latest.expiresAt) latest = deadline;
    });
    batch.settle(
      latest ? this.options.write([...keys], latest) : Promise.resolve(),
    );
  }
}
