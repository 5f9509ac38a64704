import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { DeadlineSse, type SseEvent } from '@lib/deadline';
import {
  GatewayService,
  type PlacedOrder,
  type Readiness,
} from './gateway.service.js';
import {
  bearerToken,
  parseOrderId,
  parsePlaceOrder,
} from './place-order.request.js';

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

  /**
   * The order's events as server-sent events, under the stream budget policy: `order` events (its
   * state now, then each change), and a final `end` or `error` event (README: "Event streams").
   * Authenticated like POST /orders; another customer's order is 404. `@Res()`: the deadline
   * interceptor writes the events.
   */
  @Get('orders/:id/events')
  @DeadlineSse()
  orderEvents(
    @Headers('authorization') authorization: string | undefined,
    @Param('id') id: string,
    @Res() _response: Response,
  ): Observable<SseEvent> {
    return this.gateway.orderEvents(
      bearerToken(authorization),
      parseOrderId(id),
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
