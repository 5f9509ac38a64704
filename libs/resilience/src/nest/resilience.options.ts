import { ConfigurableModuleBuilder } from '@nestjs/common';
import { type ResilienceOptions } from '../core/resilient-downstream.js';

export interface ResilienceModuleOptions {
  /** Settings for every downstream. @default the narrative's (60 s window, 20 calls, ratio 0.5) */
  readonly defaults?: ResilienceOptions;
  /** Per-downstream settings, by name, over the defaults. @default {} */
  readonly downstreams?: Readonly<Record<string, ResilienceOptions>>;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: RESILIENCE_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ResilienceModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
