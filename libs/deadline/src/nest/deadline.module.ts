import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { validateBudgetPolicy } from '../core/budget-policy.js';
import { validateJsonBodyOptions } from '../core/read-json-body.js';
import {
  ConfigurableDeadlineModule,
  DEADLINE_MODULE_OPTIONS,
  DEFAULT_FALLBACK_BUDGET_MS,
  type DeadlineModuleOptions,
} from './deadline.options.js';
import { logRequestEnd } from './request-end.logger.js';
import { serverDeadline } from '../grpc/server-deadline.js';
import { GrpcPipelineInterceptor } from './grpc-pipeline.interceptor.js';
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
        if (options.inbound === 'http')
          return new HttpDeadlineInterceptor(options);
        // The gRPC server pipeline, in this order: outer steps, the deadline entry, inner steps, the handler.
        const { outer = [], inner = [] } = options.serverSteps ?? {};
        const entry = {
          service: options.service,
          replica: options.replica,
          fallbackBudgetMs:
            options.fallbackBudgetMs ?? DEFAULT_FALLBACK_BUDGET_MS,
          onRequestEnd: options.onRequestEnd ?? logRequestEnd,
        };
        return new GrpcPipelineInterceptor(
          [...outer, serverDeadline(entry), ...inner],
          {
            ...entry,
            idleMs: options.streamIdleMs,
            onStreamEnd: options.onStreamEnd,
          },
        );
      },
    },
    { provide: APP_FILTER, useClass: ErrorMappingFilter },
  ],
})
export class DeadlineModule extends ConfigurableDeadlineModule {}
