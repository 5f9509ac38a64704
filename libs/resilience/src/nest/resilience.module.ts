import {
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { BreakerRegistry } from '../core/breaker-registry.js';
import {
  ConfigurableModuleClass,
  RESILIENCE_MODULE_OPTIONS,
  type ResilienceModuleOptions,
} from './resilience.options.js';

/** Disposes the registry's timers with the app. */
@Injectable()
class RegistryLifecycle implements OnApplicationShutdown {
  constructor(private readonly registry: BreakerRegistry) {}

  onApplicationShutdown(): void {
    this.registry.dispose();
  }
}

/**
 * Provides the process's {@link BreakerRegistry}, with state changes logged (downstream, from,
 * to, reason, counts). `ResilienceModule.forRoot({ defaults, downstreams })` or `forRootAsync`.
 * Plug a guard into a deadline client with `resilienceMiddleware(registry.get(name))`.
 */
@Module({
  providers: [
    {
      provide: BreakerRegistry,
      inject: [RESILIENCE_MODULE_OPTIONS],
      useFactory: (options: ResilienceModuleOptions) => {
        const logger = new Logger('Breaker');
        return new BreakerRegistry(
          options.defaults,
          options.downstreams,
          (change) =>
            (change.to === 'open'
              ? logger.warn.bind(logger)
              : logger.log.bind(logger))({
              msg: 'breaker state changed',
              downstream: change.breaker,
              from: change.from,
              to: change.to,
              reason: change.reason,
              ...change.counts,
            }),
        );
      },
    },
    RegistryLifecycle,
  ],
  exports: [BreakerRegistry],
})
export class ResilienceModule extends ConfigurableModuleClass {}
