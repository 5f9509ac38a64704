import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '../core/domain.error';
import { outcomeOf } from '../core/hop-record';
import { InvalidTimeoutError } from '../core/invalid-timeout.error';
import { httpStatusFromGrpc, statusOf } from '../core/status-map';
import { scopeOfRequest } from './request-scope';

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

/**
 * Maps anything thrown at the HTTP edge to a status through the one gRPC ↔ HTTP table.
 * Nest's own HttpExceptions (a malformed JSON body, an unknown route) keep their status.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const body = httpErrorBody(exception, scopeOfRequest(request)?.hops(outcomeOf(exception)));
    if (body.statusCode >= 500 && body.statusCode !== 503 && body.statusCode !== 504) {
      this.logger.error({ msg: 'unexpected error', error: exception instanceof Error ? exception.stack : String(exception) });
    }
    const retryAfterMs = (exception as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (response.headersSent || response.destroyed) return; // 499: nobody is left to answer
    if (typeof retryAfterMs === 'number') response.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    response.status(body.statusCode).json(body);
  }
}

export function httpErrorBody(exception: unknown, hops?: unknown[]): HttpErrorBody {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const raw = exception.getResponse();
    const detail = typeof raw === 'string' ? raw : (raw as { message?: unknown }).message;
    const message = typeof detail === 'string' ? detail : Array.isArray(detail) ? detail.join('; ') : exception.message;
    return { statusCode, error: snake(exception.name.replace(/Exception$/, '')), message };
  }
  const outcome = statusOf(exception);
  const field = InvalidTimeoutError.is(exception) ? exception.source : DomainError.is(exception) ? exception.field : undefined;
  const statusCode = httpStatusFromGrpc(outcome.status);
  return {
    statusCode,
    error: outcome.code,
    message: outcome.message,
    ...(field ? { field } : {}),
    ...(hops && statusCode !== 400 && statusCode !== 401 ? { hops } : {}),
  };
}

const snake = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
