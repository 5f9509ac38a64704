import { HttpException } from '@nestjs/common';
import { DomainError } from '../core/domain.error.js';
import { InvalidTimeoutError } from '../core/invalid-timeout.error.js';
import { httpStatusFromGrpc, statusOf } from '../core/status-map.js';

/** The JSON body of every error the edge answers. */
export interface HttpErrorBody {
  readonly statusCode: number;
  /** Stable, machine-readable: `deadline_exceeded`, `invalid_timeout`, `invalid_body`, `unauthenticated`… */
  readonly error: string;
  readonly message: string;
  /** The header, parameter or body field at fault. */
  readonly field?: string;
  /** Per-hop deadline records gathered before the failure. */
  readonly hops?: unknown[];
}

/** The edge's answer for any thrown value, through the one gRPC ↔ HTTP table. */
export function httpErrorBody(
  exception: unknown,
  hops?: unknown[],
): HttpErrorBody {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const raw = exception.getResponse();
    const detail =
      typeof raw === 'string' ? raw : (raw as { message?: unknown }).message;
    const message =
      typeof detail === 'string'
        ? detail
        : Array.isArray(detail)
          ? detail.join('; ')
          : exception.message;
    return {
      statusCode,
      error: snake(exception.name.replace(/Exception$/, '')),
      message,
    };
  }
  const outcome = statusOf(exception);
  const field = InvalidTimeoutError.is(exception)
    ? exception.source
    : DomainError.is(exception)
      ? exception.field
      : undefined;
  const statusCode = httpStatusFromGrpc(outcome.status);
  return {
    statusCode,
    error: outcome.code,
    message: outcome.message,
    ...(field ? { field } : {}),
    ...(hops && statusCode !== 400 && statusCode !== 401 ? { hops } : {}),
  };
}

const snake = (name: string): string =>
  name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
