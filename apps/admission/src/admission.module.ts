import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdmissionController } from './admission.controller.js';
import {
  AdmissionPolicy,
  type AdmissionPolicyOptions,
} from './admission.policy.js';
import { InvalidReviewFilter } from './invalid-review.filter.js';

@Module({})
export class AdmissionModule {
  static forRoot(options: AdmissionPolicyOptions): DynamicModule {
    return {
      module: AdmissionModule,
      controllers: [AdmissionController],
      providers: [
        { provide: AdmissionPolicy, useValue: new AdmissionPolicy(options) },
        { provide: APP_FILTER, useClass: InvalidReviewFilter },
      ],
    };
  }
}
