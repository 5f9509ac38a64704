import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { BudgetPolicy } from '../core/budget-policy.js';
import type { RequestEndEvent } from '../core/request-end-event.js';
import type { ServerStep } from '../grpc/server-step.js';

export type { RequestEndEvent };
import type { JsonBodyOptions } from '../core/read-json-body.js';

export interface DeadlineModuleOptions {
  /** This service's name, as shown in records and logs. */
  readonly service: string;
  /** Where requests come in: `http` at the edge, `grpc` for internal tiers. */
  readonly inbound: 'http' | 'grpc';
  /** Edge policy (HTTP only). @default { defaultBudgetMs: 5000, maxBudgetMs: 30000, minBudgetMs: 10 } */
  readonly policy?: BudgetPolicy;
  /** Budget for a gRPC call that arrives without a deadline. @default 10000 */
  readonly fallbackBudgetMs?: number;
  /** Told when a request ends. @default a structured log line through Nest's Logger */
  readonly onRequestEnd?: (event: RequestEndEvent) => void;
  /**
   * HTTP only: read the request's JSON body here, under its deadline (which starts before the body
   * is read), within these limits; turn the platform's body parser off (`bodyParser: false`).
   * @default not read here (left to the platform's body parser)
   */
  readonly body?: JsonBodyOptions;
  /**
   * HTTP only: the `error` codes this edge answers. Any other (a downstream's code nobody listed) is
   * answered as the generic code of its status (`unavailable`, `bad_gateway`, …) and logged.
   * @default any code
   */
  readonly errorCodes?: readonly string[];
  /**
   * gRPC only: steps of the server pipeline around the deadline entry, in order. `outer` run before
   * the call's deadline scope opens (trace context), `inner` inside it (span attributes, fault
   * injection), then the handler. A step that is off is left out, not passed.
   * @default no steps besides the deadline entry
   */
  /**
   * gRPC only: methods (as named in the proto) that stream, which the unary pipeline leaves alone.
   * Needed for a server-streaming method served by `@GrpcMethod`; `@GrpcStreamMethod` and
   * `@GrpcStreamCall` handlers are known without it. @default []
   */
  readonly streamingMethods?: readonly string[];
  readonly serverSteps?: {
    readonly outer?: readonly ServerStep[];
    readonly inner?: readonly ServerStep[];
  };
}

export const DEFAULT_BUDGET_POLICY: BudgetPolicy = {
  defaultBudgetMs: 5_000,
  maxBudgetMs: 30_000,
  minBudgetMs: 10,
};
export const DEFAULT_FALLBACK_BUDGET_MS = 10_000;

export const {
  ConfigurableModuleClass: ConfigurableDeadlineModule,
  MODULE_OPTIONS_TOKEN: DEADLINE_MODULE_OPTIONS,
  OPTIONS_TYPE: DEADLINE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DEADLINE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DeadlineModuleOptions>()
  .setClassMethodName('forRoot')
  .build();
