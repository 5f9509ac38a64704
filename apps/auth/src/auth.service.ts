import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { errors, jwtVerify, SignJWT } from 'jose';
import { DomainError, GrpcStatus } from '@lib/deadline';
import type { VerifyTokenReply } from '@lib/contracts';
import { type AuthEnv, DEVELOPMENT_JWT_SECRET } from './auth.env.js';
import { VerifiedTokens } from './verified-tokens.js';

/** A token longer than this is refused before any crypto runs. */
const MAX_TOKEN_LENGTH = 8 * 1024;

/** Verifies and issues HS256 JWTs. */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly key: Uint8Array;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly developmentSecret: boolean;
  private readonly verified: VerifiedTokens;

  constructor(config: ConfigService<AuthEnv, true>) {
    const secret = config.get('AUTH_JWT_SECRET', { infer: true });
    this.key = new TextEncoder().encode(secret);
    this.developmentSecret = secret === DEVELOPMENT_JWT_SECRET;
    this.issuer = config.get('AUTH_JWT_ISSUER', { infer: true });
    this.audience = config.get('AUTH_JWT_AUDIENCE', { infer: true });
    this.verified = new VerifiedTokens(
      config.get('AUTH_TOKEN_CACHE_SIZE', { infer: true }),
    );
  }

  /** Says so when the tier runs on the public development secret (production refuses it at start-up). */
  onModuleInit(): void {
    if (this.developmentSecret)
      new Logger('Auth').warn({
        msg: 'development JWT secret: anyone can forge tokens this tier accepts; set AUTH_JWT_SECRET (required with NODE_ENV=production)',
      });
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
    const known = this.verified.get(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
      });
      const reply = { subject: payload.sub!, expiresAt: payload.exp! };
      this.verified.add(token, reply);
      return reply;
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
