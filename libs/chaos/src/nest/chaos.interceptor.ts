import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  serveSteps,
  type ServerStep,
  type ServerUnaryCallLike,
} from '@lib/deadline';
import { FaultRegistry } from '../core/fault-registry.js';
import { chaosStep } from '../grpc/chaos.server-step.js';
import {
  CHAOS_MODULE_OPTIONS,
  type ChaosModuleOptions,
} from './chaos.options.js';

/**
 * {@link chaosStep} as an app-wide Nest interceptor, for apps that do not build a server pipeline.
 * Registered after the deadline interceptor, so the fault sees the call's deadline. Passes every
 * call through unless enabled.
 */
@Injectable()
export class ChaosInterceptor implements NestInterceptor {
  private readonly step: ServerStep | undefined;

  constructor(
    registry: FaultRegistry,
    @Inject(CHAOS_MODULE_OPTIONS) options: ChaosModuleOptions,
  ) {
    const logger = new Logger('chaos');
    this.step = options.enabled
      ? chaosStep(registry, {
          honourDeadline: options.honourDeadline,
          log: (line) => logger.log(line),
        })
      : undefined;
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    const step = this.step;
    if (!step || context.getType() !== 'rpc') return next.handle();
    const call = context.getArgByIndex<ServerUnaryCallLike>(2);
    const method =
      call.getPath?.().split('/').pop() ?? context.getHandler().name;
    return serveSteps([step], { method, call }, next);
  }
}
