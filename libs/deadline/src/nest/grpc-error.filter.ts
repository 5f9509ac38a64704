import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import { toGrpcError } from '../grpc/grpc-error';

/**
 * Sends every failure as a proper gRPC status (never Nest's generic "Internal server error"),
 * through the same mapping as the rest of the project.
 */
@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => toGrpcError(exception));
  }
}
