import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  type ServerSpanAttributesOptions,
  writeServerSpanAttributes,
} from '../otel/server-span-attributes.js';

export type DeadlineSpanInterceptorOptions = ServerSpanAttributesOptions;

/**
 * The deadline's starting attributes on the HTTP server span ({@link writeServerSpanAttributes}).
 * Install it inside the deadline interceptor, so the scope exists.
 */
@Injectable()
export class DeadlineSpanInterceptor implements NestInterceptor {
  constructor(private readonly options: DeadlineSpanInterceptorOptions) {}

  intercept(
    _context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    writeServerSpanAttributes(this.options);
    return next.handle();
  }
}
