import { describe, expect, it } from 'vitest';
import { Deadline, ManualClock } from '@lib/deadline';
import { WriteBatch } from './write-batch.js';

/** A WriteBatch on a manual clock whose writes are recorded and settled by hand. */
function setUp(windowMs: number, maxKeys?: number) {
  const clock = new ManualClock();
  const writes: {
    keys: readonly string[];
    deadline: Deadline | undefined;
    finish: (error?: Error) => void;
  }[] = [];
  const batch = new WriteBatch<string>({
    windowMs,
    maxKeys,
    clock,
    write: (keys, deadline) =>
      new Promise<void>((resolve, reject) =>
        writes.push({
          keys,
          deadline,
          finish: (error) => (error ? reject(error) : resolve()),
        }),
      ),
  });
  const deadline = (ms: number) => Deadline.after(ms, { clock });
  return { clock, writes, batch, deadline };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('writes the keys added within one window in one statement, and resolves each once it has committed', async () => {
    const { clock, writes, batch, deadline } = setUp(20);
    const outcomes: string[] = [];
    const added = ['a', 'b', 'c'].map((key) =>
      batch.add(key, deadline(1_000)).then(() => outcomes.push(key)),
    );
    clock.advance(19);
    expect(writes).toHaveLength(0);
    clock.advance(1);
    expect(writes.map((w) => w.keys)).toEqual([['a', 'b', 'c']]);
    await flush();
    expect(outcomes).toEqual([]);
    writes[0].finish();
    await Promise.all(added);
    expect(outcomes).toEqual(['a', 'b', 'c']);
    // The next key opens a new window.
    void batch.add('d', deadline(1_000));
    clock.advance(20);
    expect(writes.map((w) => w.keys)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('writes a full batch at once, without waiting out its window', () => {
    const { writes, batch, deadline } = setUp(1_000, 2);
    void batch.add('a', deadline(5_000));
    void batch.add('b', deadline(5_000));
    expect(writes.map((w) => w.keys)).toEqual([['a', 'b']]);
  });

  it('writes under the latest deadline of the callers still waiting, leaving out keys whose caller gave up', async () => {
    const { clock, writes, batch, deadline } = setUp(20);
    const short = deadline(10);
    const long = deadline(3_000);
    const middle = deadline(2_000);
    const gaveUp = batch.add('short', short);
    void batch.add('long', long);
    void batch.add('middle', middle);
    clock.advance(10); // short's deadline passes inside the window
    await expect(gaveUp).rejects.toThrow(/deadline exceeded/);
    clock.advance(10);
    expect(writes).toHaveLength(1);
    expect(writes[0].keys).toEqual(['long', 'middle']);
    expect(writes[0].deadline).toBe(long);
  });

  it('rejects a caller whose deadline passes while its statement runs, and the others with the statement', async () => {
    const { clock, writes, batch, deadline } = setUp(20);
    const early = batch.add('early', deadline(100));
    const late = batch.add('late', deadline(1_000));
    clock.advance(20);
    clock.advance(80);
    await expect(early).rejects.toThrow(/deadline exceeded/);
    writes[0].finish(new Error('connection lost'));
    await expect(late).rejects.toThrow('connection lost');
  });

  it('writes each key at once with windowMs 0, or when no deadline is in scope', () => {
    const { writes, batch, deadline } = setUp(0);
    void batch.add('a', deadline(1_000));
    void batch.add('b', deadline(1_000));
    expect(writes.map((w) => w.keys)).toEqual([['a'], ['b']]);
    const windowed = setUp(50);
    void windowed.batch.add('alone', undefined);
    expect(windowed.writes.map((w) => [w.keys, w.deadline])).toEqual([
      [['alone'], undefined],
    ]);
  });

  it('refuses a key whose deadline has already passed, writing nothing', async () => {
    const { clock, writes, batch, deadline } = setUp(20);
    const gone = deadline(5);
    clock.advance(5);
    await expect(batch.add('x', gone)).rejects.toThrow(/deadline exceeded/);
    clock.advance(50);
    expect(writes).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it("gives each caller its key's result, and writes a key added twice once", async () => {
    const clock = new ManualClock();
    const written: (readonly string[])[] = [];
    const batch = new WriteBatch<string, number>({
      windowMs: 10,
      clock,
      write: (keys) => {
        written.push(keys);
        return Promise.resolve(new Map(keys.map((k) => [k, k.length])));
      },
    });
    const deadline = Deadline.after(1_000, { clock });
    const results = Promise.all([
      batch.add('a', deadline),
      batch.add('bbb', deadline),
      batch.add('a', deadline),
      batch.add('none-returned', deadline),
    ]);
    clock.advance(10);
    expect(written).toEqual([['a', 'bbb', 'none-returned']]);
    expect(await results).toEqual([1, 3, 1, 13]);
    const missing = new WriteBatch<string, number>({
      windowMs: 10,
      clock,
      write: () => Promise.resolve(new Map()),
    });
    const pending = missing.add('x', deadline);
    clock.advance(10);
    await expect(pending).resolves.toBeUndefined();
  });
});
