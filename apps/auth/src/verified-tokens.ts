import type { VerifyTokenReply } from '@lib/contracts';

/** Tokens longer than this are verified every time, so the cache holds at most `maxEntries` × 2 KiB of keys. */
const MAX_CACHED_TOKEN_LENGTH = 2048;

/**
 * Tokens whose signature and claims were checked, until they expire: a gateway sends the same bearer
 * token for every request of a session, and verifying its HS256 signature again each time (WebCrypto,
 * a thread-pool round trip) was a fifth of this tier's CPU. Least recently used entries go first once
 * `maxEntries` are held; an entry is never served at or after its `exp` (the caller verifies again,
 * and so reports the expiry). Only successes are kept: a refused token costs a full check each time.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifyTokenReply>();

  constructor(
    private readonly maxEntries: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The reply for a token verified before and not yet expired. */
  get(token: string): VerifyTokenReply | undefined {
    const reply = this.entries.get(token);
    if (!reply) return undefined;
    this.entries.delete(token);
    if (reply.expiresAt * 1000 <= this.nowMs()) return undefined;
    this.entries.set(token, reply); // most recently used last
    return reply;
  }

  /** Remembers a token that has just been verified. */
  add(token: string, reply: VerifyTokenReply): void {
    if (this.maxEntries <= 0 || token.length > MAX_CACHED_TOKEN_LENGTH) return;
    this.entries.delete(token);
    this.entries.set(token, reply);
    if (this.entries.size > this.maxEntries)
      this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
