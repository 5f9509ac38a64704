import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchedLineSink } from './batched-line-sink.js';
import { TierLogger } from './tier.logger.js';

describe(BatchedLineSink.name, () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const sinkFor = (maxChars?: number) => {
    const writes: string[] = [];
    const sut = new BatchedLineSink(
      { write: (chunk: string) => writes.push(chunk) },
      { flushMs: 20, maxChars, flushOnExit: false },
    );
    return { sut, writes };
  };

  it('writes the lines of one window in one call, in order, and holds no timer after', () => {
    const { sut, writes } = sinkFor();
    sut.write('a\n');
    sut.write('b\n');
    vi.advanceTimersByTime(19);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(['a\nb\n']);
    expect(vi.getTimerCount()).toBe(0);
    sut.write('c\n');
    vi.advanceTimersByTime(20);
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes at once when the gathered lines reach maxChars', () => {
    const { sut, writes } = sinkFor(4);
    sut.write('ab\n');
    expect(writes).toEqual([]);
    sut.write('c\n');
    expect(writes).toEqual(['ab\nc\n']);
    expect(sut.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('writes what is gathered when flushed, and nothing when there is nothing', () => {
    const { sut, writes } = sinkFor();
    sut.flush();
    expect(writes).toEqual([]);
    sut.write('a\n');
    sut.flush();
    expect(writes).toEqual(['a\n']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('flushes on process exit when asked to (the default), and close() stops listening', () => {
    const events = ['exit', 'SIGTERM', 'SIGINT'] as const;
    const counts = () => events.map((event) => process.listenerCount(event));
    const before = counts();
    const writes: string[] = [];
    const sut = new BatchedLineSink(
      { write: (chunk: string) => writes.push(chunk) },
      { flushMs: 1_000 },
    );
    expect(counts()).toEqual(before.map((n) => n + 1));
    sut.write('last words\n');
    // What the exit event runs (not emitted here: vitest's own exit listeners would run too).
    expect(process.listeners('exit')).toContain(sut.flush);
    sut.flush();
    expect(writes).toEqual(['last words\n']);
    sut.write('after\n');
    sut.close();
    expect(writes).toEqual(['last words\n', 'after\n']);
    expect(counts()).toEqual(before);
  });
});

describe('TierLogger with flushMs', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('batches stdout lines, and writes them before an error line goes out at once', () => {
    const stdout: string[] = [];
    const order: string[] = [];
    const logger = new TierLogger({
      service: 'order',
      flushMs: 20,
      stdout: {
        write: (chunk: string) => {
          stdout.push(chunk);
          order.push('stdout');
        },
      },
      stderr: { write: () => order.push('stderr') },
    });
    logger.log({ msg: 'one' });
    logger.log({ msg: 'two' });
    expect(stdout).toEqual([]);
    logger.error('boom');
    expect(order).toEqual(['stdout', 'stderr']);
    expect(
      stdout[0]
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
    ).toEqual(['one', 'two']);
    logger.log({ msg: 'three' });
    void logger.flush();
    expect(stdout).toHaveLength(2);
    logger.log({ msg: 'four' });
    logger.close();
    expect(stdout).toHaveLength(3);
  });
});
