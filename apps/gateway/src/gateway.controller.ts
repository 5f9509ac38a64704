import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  GatewayService,
  type PlacedOrder,
  type Readiness,
} from './gateway.service.js';
import { bearerToken, parsePlaceOrder } from './place-order.request.js';

@Controller()
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Post('orders')
  @HttpCode(201)
  placeOrder(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<PlacedOrder> {
    return this.gateway.placeOrder(
      bearerToken(authorization),
      parsePlaceOrder(body),
    );
  }

  /** Liveness: the process answers. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the tiers it calls are serving. */
  @Get('health')
  async health(
    @Res({ passthrough: true }) response: Response,
  ): Promise<Readiness> {
    const readiness = await this.gateway.readiness();
    if (readiness.status !== 'ok') response.status(503);
    return readiness;
  }
}
