import { Module } from '@nestjs/common';
import { TierModule } from '@lib/platform';
import { AuthController } from './auth.controller.js';
import { AUTH_ENV } from './auth.env.js';
import { AuthService } from './auth.service.js';

@Module({
  imports: [
    TierModule.forRoot({
      service: 'auth',
      inbound: 'grpc',
      env: AUTH_ENV,
      port: (env) => env.AUTH_GRPC_PORT,
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService],
})
export class AuthModule {}
