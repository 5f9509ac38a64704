import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { AUTH } from '@lib/contracts';
import type { VerifyTokenReply, VerifyTokenRequest } from '@lib/contracts';
import { AuthService } from './auth.service.js';

@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @GrpcMethod(AUTH.service, 'VerifyToken')
  verifyToken(request: VerifyTokenRequest): Promise<VerifyTokenReply> {
    return this.auth.verify(request.token);
  }
}
