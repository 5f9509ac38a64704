import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  BadRequestException,
} from '@nestjs/common';
import {
  FaultRegistry,
  type FaultSnapshot,
  type MethodLoad,
  TooManyFaultsError,
} from '../core/fault-registry.js';
import { parseFaultSpec } from '../core/fault-spec.js';
import {
  CHAOS_MODULE_OPTIONS,
  type ChaosModuleOptions,
} from './chaos.options.js';

/**
 * `/chaos/faults` on a tier's admin HTTP server (127.0.0.1 by default): `GET` lists the active
 * faults, `POST` adds one (400 with the reason when it is malformed), `DELETE` clears all, or
 * one by id. Answers 403 unless `CHAOS_ENABLED=true`.
 */
@Controller('chaos')
export class ChaosController {
  constructor(
    private readonly registry: FaultRegistry,
    @Inject(CHAOS_MODULE_OPTIONS) private readonly options: ChaosModuleOptions,
  ) {}

  @Get('faults')
  list(): { faults: FaultSnapshot[]; load: Record<string, MethodLoad> } {
    this.assertEnabled();
    return { faults: this.registry.list(), load: this.registry.loadByMethod() };
  }

  @Post('faults')
  @HttpCode(201)
  add(@Body() body: unknown): FaultSnapshot {
    this.assertEnabled();
    const spec = parseFaultSpec(body);
    if (typeof spec === 'string')
      throw new BadRequestException(`invalid fault: ${spec}`);
    try {
      return this.registry.add(spec);
    } catch (error) {
      if (TooManyFaultsError.is(error))
        throw new BadRequestException(error.message);
      throw error;
    }
  }

  @Delete('faults')
  clear(): { cleared: number } {
    this.assertEnabled();
    return { cleared: this.registry.clear() };
  }

  @Delete('faults/:id')
  remove(@Param('id') id: string): { cleared: number } {
    this.assertEnabled();
    if (!this.registry.remove(id))
      throw new NotFoundException(`no active fault ${id.slice(0, 40)}`);
    return { cleared: 1 };
  }

  /** Restarts the per-method peak counts (between benchmark phases). */
  @Post('load/reset')
  @HttpCode(204)
  resetLoad(): void {
    this.assertEnabled();
    this.registry.resetLoad();
  }

  private assertEnabled(): void {
    if (!this.options.enabled)
      throw new ForbiddenException(
        'chaos is disabled on this tier; start it with CHAOS_ENABLED=true',
      );
  }
}
