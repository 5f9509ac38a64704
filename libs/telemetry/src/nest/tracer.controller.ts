import {
  BadRequestException,
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import type { DeadlineOutcome } from '../core/deadline-attributes.js';
import type { RecentRequest } from '../core/recent-requests.js';
import { waterfallOf, type WaterfallBar } from '../core/waterfall.js';
import { Telemetry } from '../otel/telemetry.js';
import { TRACER_PAGE_HTML } from '../page/tracer.page.js';

const OUTCOMES: readonly DeadlineOutcome[] = [
  'ok',
  'deadline_exceeded',
  'cancelled',
  'breaker_open',
  'error',
];

export type RequestSummary = Omit<RecentRequest, 'hops'> & {
  readonly hopCount: number;
};
export type RequestDetail = RecentRequest & {
  readonly waterfall: readonly WaterfallBar[];
};

/** `GET /_tracer`: the ContextTracer page and the JSON it reads (the edge's recent requests). */
@Controller('_tracer')
export class TracerController {
  constructor(private readonly telemetry: Telemetry) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  )
  page(): string {
    return TRACER_PAGE_HTML;
  }

  /** Newest first; `?outcome=` keeps one outcome. */
  @Get('requests')
  @Header('Cache-Control', 'no-store')
  requests(@Query('outcome') outcome?: unknown): {
    requests: RequestSummary[];
    capacity: number;
  } {
    if (
      outcome !== undefined &&
      !(
        typeof outcome === 'string' &&
        (OUTCOMES as readonly string[]).includes(outcome)
      )
    ) {
      throw new BadRequestException(
        `outcome must be one of ${OUTCOMES.join(', ')}`,
      );
    }
    const list = this.telemetry.recent.list(
      outcome as DeadlineOutcome | undefined,
    );
    return {
      requests: list.map(({ hops, ...rest }) => ({
        ...rest,
        hopCount: hops.length,
      })),
      capacity: this.telemetry.recent.capacity,
    };
  }

  @Get('requests/:id')
  @Header('Cache-Control', 'no-store')
  request(@Param('id') raw: string): RequestDetail {
    if (!/^\d{1,15}$/.test(raw))
      throw new BadRequestException('id must be a whole number');
    const found = this.telemetry.recent.get(Number(raw));
    if (!found)
      throw new NotFoundException(
        `request ${raw} is not among the last ${this.telemetry.recent.capacity}`,
      );
    return { ...found, waterfall: waterfallOf(found.hops) };
  }
}
