import { Module } from '@nestjs/common';
import { AUTH, HEALTH, ORDER } from '@lib/contracts';
import { downstream, TierModule } from '@lib/platform';
import { GatewayController } from './gateway.controller.js';
import {
  bodyOptionsOf,
  budgetPolicyOf,
  GATEWAY_ENV,
  streamBudgetPolicyOf,
} from './gateway.env.js';
import { GATEWAY_ERROR_CODES } from './gateway.error-codes.js';
import { GatewayService } from './gateway.service.js';

@Module({
  imports: [
    TierModule.forRoot({
      service: 'gateway',
      inbound: 'http',
      env: GATEWAY_ENV,
      port: (env) => env.GATEWAY_PORT,
      policy: budgetPolicyOf,
      streamPolicy: streamBudgetPolicyOf,
      streamIdleMs: (env) => env.DEADLINE_STREAM_IDLE_MS,
      // Read under the request's deadline (main.ts turns Nest's body parser off).
      body: bodyOptionsOf,
      errorCodes: Object.keys(GATEWAY_ERROR_CODES),
    }),
    downstream('auth', AUTH, 'AUTH_GRPC_URL', {
      idempotentMethods: ['VerifyToken'],
    }),
    // A watch only reads: it may be opened again before its first message (never PlaceOrder).
    downstream('order', ORDER, 'ORDER_GRPC_URL', {
      idempotentMethods: ['WatchOrder'],
    }),
    downstream('auth-health', HEALTH, 'AUTH_GRPC_URL'),
    downstream('order-health', HEALTH, 'ORDER_GRPC_URL'),
  ],
  controllers: [GatewayController],
  providers: [GatewayService],
})
export class GatewayModule {}
