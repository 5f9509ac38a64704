import 'reflect-metadata';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigService } from '@nestjs/config';
import { parseEnv } from '@lib/platform';
import { AUTH_ENV, type AuthEnv } from './auth.env.js';
import { AuthService } from './auth.service.js';

const service = (env: Record<string, string> = {}): AuthService =>
  new AuthService(
    new ConfigService<AuthEnv, true>(parseEnv(AUTH_ENV, { ...env })),
  );

describe('AuthService.verify with verified tokens remembered', () => {
  afterEach(() => vi.useRealTimers());

  it('refuses a token it has verified before once its exp has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T12:00:00Z'));
    const auth = service();
    const token = await auth.issue('alice', 60);
    await expect(auth.verify(token)).resolves.toMatchObject({
      subject: 'alice',
    });
    await expect(auth.verify(token)).resolves.toMatchObject({
      subject: 'alice',
    });
    vi.setSystemTime(new Date('2026-12-01T12:01:00Z'));
    await expect(auth.verify(token)).rejects.toMatchObject({
      code: 'invalid_token',
      message: 'token expired',
    });
  });

  it('still refuses a tampered token after the genuine one is remembered', async () => {
    const auth = service();
    const token = await auth.issue('alice', 60);
    await auth.verify(token);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(
      JSON.stringify({ sub: 'mallory', exp: 9_999_999_999 }),
    ).toString('base64url')}.${signature}`;
    await expect(auth.verify(forged)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(auth.verify(`${token}x`)).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('verifies every time with AUTH_TOKEN_CACHE_SIZE=0', async () => {
    const auth = service({ AUTH_TOKEN_CACHE_SIZE: '0' });
    const token = await auth.issue('bob', 60);
    await expect(auth.verify(token)).resolves.toMatchObject({ subject: 'bob' });
    await expect(auth.verify(token)).resolves.toMatchObject({ subject: 'bob' });
  });
});
