import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { BudgetPolicy } from '../core/budget-policy.js';
import type { RequestEndEvent } from '../core/request-end-event.js';
import type { JsonBodyOptions } from '../core/read-json-body.js';
import type { StreamRecord } from '../core/stream-record.js';
import type { ServerStep } from '../grpc/server-step.js';

export type { RequestEndEvent };

export interface DeadlineModuleOptions {
  /** This service's name, as shown in records and logs. */
  readonly service: string;
  /**
   * This process's name among the service's replicas, in its own hop record (and so in the
   * `request ended` line, the tables and the tracer page). @default none (records name no replica)
   */
  readonly replica?: string;
  /** Where requests come in: `http` at the edge, `grpc` for internal tiers. */
  readonly inbound: 'http' | 'grpc';
  /** Edge policy (HTTP only). @default { defaultBudgetMs: 5000, maxBudgetMs: 30000, minBudgetMs: 10 } */
  readonly policy?: BudgetPolicy;
  /**
   * Edge policy for streams (HTTP only, routes marked `@DeadlineSse()`): a watch lasts longer than a
   * request, so it has a default and a maximum of its own. @default { defaultBudgetMs: 60000, maxBudgetMs: 600000, minBudgetMs: 10 }
   */
  readonly streamPolicy?: BudgetPolicy;
  /**
   * Longest silence between two messages of a stream: at the edge, between two events from the
   * handler; on a gRPC server, between two messages from the client. @default Infinity (none)
   */
  readonly streamIdleMs?: number;
  /**
   * At the edge, most bytes of events that may wait for a slow reader (what the socket has not taken
   * yet); past it the stream ends with a `slow_consumer` event. @default 1048576 (1 MiB)
   */
  readonly streamMaxBufferedBytes?: number;
  /** Told when a stream ends, however it ends (metrics, logs). @default nothing */
  readonly onStreamEnd?: (record: StreamRecord) => void;
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
export const DEFAULT_STREAM_BUDGET_POLICY: BudgetPolicy = {
  defaultBudgetMs: 60_000,
  maxBudgetMs: 600_000,
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
