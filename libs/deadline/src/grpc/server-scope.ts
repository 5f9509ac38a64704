import { AsyncResource } from 'node:async_hooks';
import { CancelledError } from '../core/cancelled.error.js';
import { type Clock, systemClock } from '../core/clock.js';
import { Deadline } from '../core/deadline.js';
import { DeadlineScope } from '../core/deadline-scope.js';
import {
  ENVOY_TIMEOUT_HEADER,
  parseTimeoutMs,
} from '../core/request-timeout.js';
import { HOP_METADATA_KEY } from './metadata-keys.js';

/** The parts of a grpc-js server call the deadline needs (grpc-js's ServerUnaryCall fits). */
export interface ServerCallLike {
  getDeadline(): Date | number;
  readonly metadata?: { get(key: string): unknown[] };
  readonly cancelled?: boolean;
  on(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

export interface ServerScopeOptions {
  /** This service's name, for records and logs. */
  readonly service: string;
  /** Budget used when the caller sent no deadline (a raw client without `deadline`). */
  readonly fallbackBudgetMs: number;
  /** This process's name among the tier's replicas, in its hop records. @default none */
  readonly replica?: string;
  /** @default systemClock */
  readonly clock?: Clock;
}

export interface OpenServerScope {
  readonly scope: DeadlineScope;
  /** Detaches from the call and frees the timer. Call exactly once, when the handler's work ends. */
  readonly close: () => void;
}

const MAX_HOP = 255;

/**
 * Reads the deadline grpc-js parsed from the caller's `grpc-timeout` header (never a custom header),
 * and links the call's cancellation to the scope's signal. `'cancelled'` only aborts while the call is
 * running: grpc-js ≥ 1.10 emits it after a successful finish too (grpc-node#2771), so `close()` disarms it.
 */
export function openServerScope(
  call: ServerCallLike,
  method: string,
  options: ServerScopeOptions,
): OpenServerScope {
  const clock = options.clock ?? systemClock;
  const callDeadline = call.getDeadline();
  const deadlineEpochMs =
    callDeadline instanceof Date ? callDeadline.getTime() : callDeadline;
  let receivedBudgetMs: number | null = Number.isFinite(deadlineEpochMs)
    ? Math.max(0, deadlineEpochMs - Date.now())
    : null;

  // A sidecar's route timeout (issue: Envoy) caps the budget when it is smaller; a malformed one (or one
  // past Number.MAX_SAFE_INTEGER, which caps nothing) is ignored.
  const envoy = parseTimeoutMs(
    ENVOY_TIMEOUT_HEADER,
    firstString(call.metadata?.get(ENVOY_TIMEOUT_HEADER)),
  );
  if (
    envoy.ok &&
    envoy.value !== undefined &&
    Number.isFinite(envoy.value) &&
    (receivedBudgetMs === null || envoy.value < receivedBudgetMs)
  )
    receivedBudgetMs = envoy.value;

  const deadline = Deadline.after(
    receivedBudgetMs ?? options.fallbackBudgetMs,
    { clock },
  );
  const scope = new DeadlineScope(
    deadline,
    options.service,
    method,
    receivedBudgetMs,
    hopOf(call),
    options.replica,
  );

  // 'cancelled' fires in the transport's async context; the abort, and the request-end hook after it,
  // run in the request's (its async-local state: trace context for the log line, for one).
  const requestContext = new AsyncResource('DeadlineServerCall');
  const onCancelled = (): void =>
    requestContext.runInAsyncScope(() =>
      deadline.cancel(new CancelledError('the caller cancelled the call')),
    );
  if (call.cancelled) onCancelled();
  else call.on('cancelled', onCancelled);

  let closed = false;
  return {
    scope,
    close: () => {
      if (closed) return;
      closed = true;
      call.removeListener('cancelled', onCancelled);
      deadline.dispose();
    },
  };
}

function hopOf(call: ServerCallLike): number {
  const raw = firstString(call.metadata?.get(HOP_METADATA_KEY));
  const hop = raw !== undefined && /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
  return Math.min(hop, MAX_HOP);
}

function firstString(values: unknown[] | undefined): string | undefined {
  const first = values?.[0];
  return typeof first === 'string' ? first : undefined;
}
