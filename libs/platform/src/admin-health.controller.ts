import { Controller, Get, Inject } from '@nestjs/common';
import { HealthDetails } from './health-details.js';
import { TIER_NAME } from './tier-name.js';

/** `GET /health` on a gRPC tier's admin port: liveness plus whatever the libraries report. */
@Controller()
export class AdminHealthController {
  constructor(
    @Inject(TIER_NAME) private readonly service: string,
    private readonly details: HealthDetails,
  ) {}

  @Get('health')
  health(): {
    status: 'ok';
    service: string;
    details: Record<string, unknown>;
  } {
    return {
      status: 'ok',
      service: this.service,
      details: this.details.snapshot(),
    };
  }
}
