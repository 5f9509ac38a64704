import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { validateBudgetPolicy } from '../core/budget-policy.js';
import { validateJsonBodyOptions } from '../core/read-json-body.js';
import {
  ConfigurableDeadlineModule,
  DEADLINE_MODULE_OPTIONS,
  type DeadlineModuleOptions,
} from './deadline.options.js';
import { GrpcDeadlineInterceptor } from './grpc-deadline.interceptor.js';
import { HttpDeadlineInterceptor } from './http-deadline.interceptor.js';
import { ErrorMappingFilter } from './error-mapping.filter.js';

/**
 * Installs the deadline for the whole app: the inbound interceptor (HTTP edge or gRPC server) and
 * the error mapping that goes with it. `DeadlineModule.forRoot({ service, inbound })` or `forRootAsync`.
 */
@Module({
  providers: [
    {
      provide: APP_INTERCEPTOR,
      inject: [DEADLINE_MODULE_OPTIONS],
      useFactory: (options: DeadlineModuleOptions) => {
        const problems = [
          ...(options.policy ? validateBudgetPolicy(options.policy) : []),
          ...(options.streamPolicy
            ? validateBudgetPolicy(options.streamPolicy).map(
                (problem) => `stream policy: ${problem}`,
              )
            : []),
          ...(options.body ? validateJsonBodyOptions(options.body) : []),
        ];
        if (problems.length)
          throw new Error(
            `DeadlineModule: invalid options:\n  ${problems.join('\n  ')}`,
          );
        return options.inbound === 'http'
          ? new HttpDeadlineInterceptor(options)
          : new GrpcDeadlineInterceptor(options);
      },
    },
    { provide: APP_FILTER, useClass: ErrorMappingFilter },
  ],
})
export class DeadlineModule extends ConfigurableDeadlineModule {}
