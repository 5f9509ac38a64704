import { Logger, Module } from '@nestjs/common';
import { FaultRegistry } from '../core/fault-registry';
import { ChaosController } from './chaos.controller';
import { ChaosInterceptor } from './chaos.interceptor';
import { CHAOS_MODULE_OPTIONS, ConfigurableChaosModule, type ChaosModuleOptions } from './chaos.options';

/**
 * Fault injection for a gRPC tier: the registry, the admin controller and the server hook.
 * Install the hook inside the deadline interceptor, e.g.
 * `{ provide: APP_INTERCEPTOR, useExisting: ChaosInterceptor }` after `DeadlineModule`.
 */
@Module({
  controllers: [ChaosController],
  providers: [
    {
      provide: FaultRegistry,
      inject: [CHAOS_MODULE_OPTIONS],
      useFactory: (options: ChaosModuleOptions) => {
        const logger = new Logger('chaos');
        return new FaultRegistry({
          maxFaults: options.maxFaults,
          onChange: ({ type, fault }) => logger.warn({ msg: `chaos fault ${type}`, fault }),
        });
      },
    },
    ChaosInterceptor,
  ],
  exports: [FaultRegistry, ChaosInterceptor],
})
export class ChaosModule extends ConfigurableChaosModule {}
