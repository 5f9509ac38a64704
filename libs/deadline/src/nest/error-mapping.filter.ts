import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Inject,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { type Observable, throwError } from 'rxjs';
import { bodyUnread } from '../core/read-json-body.js';
import { failureOf } from '../core/failure.js';
import { toGrpcError } from '../grpc/grpc-error.js';
import {
  DEADLINE_MODULE_OPTIONS,
  type DeadlineModuleOptions,
} from './deadline.options.js';
import { httpErrorBody } from './http-error-body.js';
import { scopeOfRequest } from './request-scope.js';

/**
 * The one place failures become answers: HTTP JSON with a status from the gRPC ↔ HTTP table at the
 * edge (and on admin ports), a proper gRPC status with trailers on gRPC (never Nest's generic
 * "Internal server error"). Nest's own HttpExceptions (an unknown route) keep their status.
 */
@Catch()
export class ErrorMappingFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorMappingFilter');
  private readonly codes: ReadonlySet<string> | undefined;

  constructor(
    @Optional()
    @Inject(DEADLINE_MODULE_OPTIONS)
    options?: DeadlineModuleOptions,
  ) {
    this.codes = options?.errorCodes && new Set(options.errorCodes);
  }

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc')
      return throwError(() => toGrpcError(exception));
    if (host.getType() !== 'http') throw exception;

    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const failure = failureOf(exception);
    const body = httpErrorBody(exception, {
      hops: scopeOfRequest(request)?.hops(failure.outcome),
      codes: this.codes,
      onUnlistedCode: (code, answered) =>
        this.logger.warn({ msg: 'unlisted error code', code, answered }),
    });
    // 500 and 501 are this process's own faults; 502-504 are the chain's, logged with the request.
    if (body.statusCode >= 500 && body.statusCode < 502) {
      this.logger.error({
        msg: 'unexpected error',
        error: exception instanceof Error ? exception.stack : String(exception),
      });
    }
    if (response.headersSent || response.destroyed) {
      // Nobody is left to answer: record it the way proxies do, as 499 Client Closed Request.
      this.logger.warn({
        msg: 'client closed request',
        statusCode: body.statusCode,
        method: request.method,
        path: request.path.slice(0, 128),
      });
      return;
    }
    if (bodyUnread(request)) lingerForBody(request, response);
    const { retryAfterMs } = failure;
    if (retryAfterMs !== undefined) {
      // Retry-After is whole seconds by standard (rounded up); the exact figure rides beside it.
      response.setHeader(
        'Retry-After',
        String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      );
      response.setHeader(
        'Retry-After-Ms',
        String(Math.max(0, Math.ceil(retryAfterMs))),
      );
    }
    response.status(body.statusCode).json(body);
  }
}

/** How long an answer given before its request's body was read waits for the rest of the body (discarded). */
const LINGER_MS = 1_000;

/**
 * Answered before its body was read to its end (refused on its headers, or the deadline passed while it
 * was still arriving). Closing at once would reset the connection under a client still sending, which
 * then often loses the answer; so what still arrives is read and thrown away, for at most a second after
 * the answer, and a body not done by then has its connection closed.
 */
function lingerForBody(request: Request, response: Response): void {
  response.once('finish', () => {
    if (request.complete) return;
    request.resume();
    const timer = setTimeout(() => request.socket?.destroy(), LINGER_MS);
    timer.unref();
    const done = (): void => clearTimeout(timer);
    request.once('end', done);
    request.once('close', done);
  });
}
