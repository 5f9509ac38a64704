import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from './verified-tokens.js';

const reply = (subject: string, expiresAt: number) => ({ subject, expiresAt });

describe('VerifiedTokens', () => {
  it('serves a verified token until its exp, and not at or after it', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokens(10, () => now);
    cache.add('t', reply('alice', 1_060)); // exp 1060 s
    expect(cache.get('t')).toEqual(reply('alice', 1_060));
    now = 1_059_999;
    expect(cache.get('t')?.subject).toBe('alice');
    now = 1_060_000;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const cache = new VerifiedTokens(2, () => 0);
    cache.add('a', reply('a', 10));
    cache.add('b', reply('b', 10));
    cache.get('a'); // b is now the least recently used
    cache.add('c', reply('c', 10));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.subject).toBe('a');
    expect(cache.get('c')?.subject).toBe('c');
  });

  it('keeps nothing when disabled, nor tokens too long to be worth a key', () => {
    const off = new VerifiedTokens(0, () => 0);
    off.add('a', reply('a', 10));
    expect(off.get('a')).toBeUndefined();
    const cache = new VerifiedTokens(10, () => 0);
    cache.add('x'.repeat(2049), reply('x', 10));
    expect(cache.size).toBe(0);
  });
});
