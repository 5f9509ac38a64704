import { ConfigurableModuleBuilder } from '@nestjs/common';

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

export const {
  ConfigurableModuleClass: ConfigurableChaosModule,
  MODULE_OPTIONS_TOKEN: CHAOS_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ChaosModuleOptions>()
  .setClassMethodName('forRoot')
  .build();
