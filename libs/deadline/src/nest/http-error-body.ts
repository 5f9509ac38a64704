import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { failureOf } from '../core/failure.js';
import { genericCode, grpcStatusFromHttp } from '../core/status-map.js';

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

export interface HttpErrorBodyOptions {
  /** Per-hop deadline records gathered before the failure (left out of 400, 401, 413 and 415 answers). */
  readonly hops?: unknown[];
  /**
   * The only `error` codes this edge answers; any other is answered as the generic code of its
   * status (`unavailable`, `bad_gateway`, …), and `onUnlistedCode` is told. @default any code
   */
  readonly codes?: ReadonlySet<string>;
  readonly onUnlistedCode?: (code: string, answered: string) => void;
}

/** A request refused as sent (malformed, unauthenticated, too large, of a type not taken) carries no hops. */
const REFUSED_AS_SENT: ReadonlySet<number> = new Set([400, 401, 413, 415]);
/** Nest's own exceptions echo client input (`Cannot GET /<the whole path>`): a bounded echo. */
const MAX_HTTP_EXCEPTION_MESSAGE = 160;
/** Any other message (a downstream's chain included). */
const MAX_MESSAGE = 1_024;

/** The edge's answer for any thrown value, through the one gRPC ↔ HTTP table. */
export function httpErrorBody(
  exception: unknown,
  options: HttpErrorBodyOptions = {},
): HttpErrorBody {
  const { statusCode, error, message, field, fallback } =
    exception instanceof HttpException
      ? fromHttpException(exception)
      : fromOutcome(exception);
  let answered = error;
  if (options.codes && !options.codes.has(error)) {
    answered = fallback;
    options.onUnlistedCode?.(error, answered);
  }
  const { hops } = options;
  return {
    statusCode,
    error: answered,
    message,
    ...(field ? { field } : {}),
    ...(hops && !REFUSED_AS_SENT.has(statusCode) ? { hops } : {}),
  };
}

interface Answer {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
  readonly field?: string;
  /** The code to answer when `error` is not one the edge lists. */
  readonly fallback: string;
}

function fromOutcome(exception: unknown): Answer {
  const outcome = failureOf(exception);
  return {
    statusCode: outcome.httpStatus,
    error: outcome.code,
    message: bounded(outcome.message, MAX_MESSAGE),
    field: outcome.field,
    fallback: genericCode(outcome.status, outcome.httpStatus),
  };
}

/** Nest's own HttpExceptions (an unknown route, a controller's BadRequestException) keep their status. */
function fromHttpException(exception: HttpException): Answer {
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
    // Named by its status (`not_found`, `bad_request`), not by the exception class (`HttpException` → `http`).
    error: snake(STATUS_CODES[statusCode] ?? 'error'),
    message: bounded(message, MAX_HTTP_EXCEPTION_MESSAGE),
    fallback: genericCode(grpcStatusFromHttp(statusCode), statusCode),
  };
}

function bounded(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}… (${text.length} characters)`
    : text;
}

const snake = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
