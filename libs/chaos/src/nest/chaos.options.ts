import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

export interface ChaosModuleOptions {
  /** Off: the hook passes every call through and the admin endpoint answers 403. @default false */
  readonly enabled?: boolean;
  /**
   * A delay ends when the call's deadline aborts (no work outlives the request). `false` for the
   * naive comparison mode only. @default true
   */
  readonly honourDeadline?: boolean;
  /** Most faults active at once. @default 32 */
  readonly maxFaults?: number;
}

/** The module's `ChaosInterceptor` instance (named by token, to keep this file free of the class). */
export const CHAOS_INTERCEPTOR = Symbol('CHAOS_INTERCEPTOR');

export const {
  ConfigurableModuleClass: ConfigurableChaosModule,
  MODULE_OPTIONS_TOKEN: CHAOS_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ChaosModuleOptions>()
  .setClassMethodName('forRoot')
  // `interceptor: false` when the app puts `chaosStep` in its own server pipeline instead.
  .setExtras({ interceptor: true }, (definition, extras) => ({
    ...definition,
    providers: extras.interceptor
      ? [
          ...(definition.providers ?? []),
          { provide: APP_INTERCEPTOR, useExisting: CHAOS_INTERCEPTOR },
        ]
      : definition.providers,
  }))
  .build();
