import { Controller, Module } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { jwtVerify } from 'jose';

const secret = new TextEncoder().encode(
  process.env.AUTH_JWT_SECRET ?? 'deadline-relay-dev-secret-change-me-now',
);

/** The same JWT check as the auth tier: HS256 signature, issuer, audience, expiry. */
@Controller()
class AuthController {
  @GrpcMethod('AuthService', 'VerifyToken')
  async verifyToken({
    token,
  }: {
    token: string;
  }): Promise<{ subject: string; expiresAt: number }> {
    const { payload } = await jwtVerify(token, secret, {
      issuer: 'deadline-relay',
      audience: 'deadline-relay-api',
    }).catch(() => {
      throw new RpcException({
        code: status.UNAUTHENTICATED,
        message: 'invalid token',
      });
    });
    return { subject: payload.sub ?? '', expiresAt: payload.exp ?? 0 };
  }
}

@Module({ controllers: [AuthController] })
export class NestSqlAuthModule {}
