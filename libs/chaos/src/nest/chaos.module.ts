import { Logger, Module } from '@nestjs/common';
import { FaultRegistry } from '../core/fault-registry.js';
import { ChaosController } from './chaos.controller.js';
import { ChaosInterceptor } from './chaos.interceptor.js';
import {
  CHAOS_INTERCEPTOR,
  CHAOS_MODULE_OPTIONS,
  ConfigurableChaosModule,
  type ChaosModuleOptions,
} from './chaos.options.js';

/**
 * Fault injection for a gRPC tier: the registry, the admin controller and the server hook (an
 * app-wide interceptor). Import it after `DeadlineModule`: Nest nests global interceptors in the
 * order their modules are scanned, and the hook must run inside the deadline's scope. With
 * `interceptor: false` no hook is installed: put {@link chaosStep} in the server pipeline instead.
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
          onChange: ({ type, fault }) =>
            logger.warn({ msg: `chaos fault ${type}`, fault }),
        });
      },
    },
    ChaosInterceptor,
    { provide: CHAOS_INTERCEPTOR, useExisting: ChaosInterceptor },
  ],
  exports: [FaultRegistry, ChaosInterceptor],
})
export class ChaosModule extends ConfigurableChaosModule {}
