import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError, GrpcStatus } from '@lib/deadline';
import type { VerifyTokenReply } from '@lib/contracts';
import type { AuthEnv } from './auth.env.js';

/** A token longer than this is refused before any crypto runs. */
const MAX_TOKEN_LENGTH = 8 * 1024;

/** Verifies and issues HS256 JWTs. */
@Injectable()
export class AuthService {
  private readonly key: Uint8Array;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(config: ConfigService<AuthEnv, true>) {
    this.key = new TextEncoder().encode(
      config.get('AUTH_JWT_SECRET', { infer: true }),
    );
    this.issuer = config.get('AUTH_JWT_ISSUER', { infer: true });
    this.audience = config.get('AUTH_JWT_AUDIENCE', { infer: true });
  }

  async verify(token: string): Promise<VerifyTokenReply> {
    if (!token)
      throw new DomainError(
        GrpcStatus.UNAUTHENTICATED,
        'missing_token',
        'no bearer token',
      );
    if (token.length > MAX_TOKEN_LENGTH)
      throw new DomainError(
        GrpcStatus.UNAUTHENTICATED,
        'invalid_token',
        'token too long',
      );
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
      });
      return { subject: payload.sub!, expiresAt: payload.exp! };
    } catch (error) {
      const reason =
        error instanceof errors.JWTExpired
          ? 'token expired'
          : error instanceof errors.JOSEError
            ? `token rejected (${error.code})`
            : 'token rejected';
      throw new DomainError(
        GrpcStatus.UNAUTHENTICATED,
        'invalid_token',
        reason,
      );
    }
  }

  /** Signs a token for local use (the demo, tests). */
  issue(subject: string, ttlSeconds = 3600): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }
}
