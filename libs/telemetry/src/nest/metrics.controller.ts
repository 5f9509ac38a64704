import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Telemetry } from '../otel/telemetry.js';

/** `GET /metrics` in Prometheus text format (the admin port on gRPC tiers, the main port at the edge). */
@Controller()
export class MetricsController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metrics(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.telemetry.metrics.render();
    // Set as is: Express's type() would reorder the parameters Prometheus' own clients send.
    response.setHeader('Content-Type', contentType);
    response.end(body);
  }
}
