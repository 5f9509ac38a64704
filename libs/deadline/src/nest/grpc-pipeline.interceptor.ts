import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { GrpcMethodStreamingType } from '@nestjs/microservices';
import { PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import type { Observable } from 'rxjs';
import {
  type GrpcStreamCall,
  type GrpcStreamDeadlineOptions,
  interceptGrpcStream,
  isGrpcStreamCall,
} from './grpc-stream-deadline.js';
import type { ServerStep, ServerUnaryCallLike } from '../grpc/server-step.js';
import { serveSteps } from './serve-steps.js';

/**
 * The one Nest interceptor of a gRPC tier: runs the server pipeline's steps, in the order given,
 * around the handler, as plain promises (no RxJS operators per call). Streaming calls go to their own
 * entry ({@link interceptGrpcStream}): grpc-js gives unary and server-streaming handlers the same call
 * object, so they are known by their proto ({@link registerStreamMethods}) or their
 * `@GrpcStreamMethod`/`@GrpcStreamCall` decorator.
 */
@Injectable()
export class GrpcPipelineInterceptor implements NestInterceptor {
  constructor(
    private readonly steps: readonly ServerStep[],
    /** How streaming calls are served: by their own deadline entry, not the unary steps. */
    private readonly streams: GrpcStreamDeadlineOptions,
  ) {}

  intercept(
    context: ExecutionContext,
    next: CallHandler<unknown>,
  ): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const call = context.getArgByIndex<ServerUnaryCallLike>(2);
    const method =
      call.getPath?.().split('/').pop() ?? context.getHandler().name;
    if (isGrpcStreamCall(call) || isStreamHandler(context.getHandler()))
      return interceptGrpcStream(
        call as GrpcStreamCall,
        method,
        next,
        this.streams,
      );
    return serveSteps(this.steps, { method, call }, next);
  }
}

/** Handlers are few and fixed: their decorator metadata is read once each, not on every call. */
const streamHandlers = new WeakMap<object, boolean>();

/** `@GrpcStreamMethod` / `@GrpcStreamCall` say so in their pattern; a server-streaming `@GrpcMethod` is known by its proto. */
function isStreamHandler(handler: object): boolean {
  let known = streamHandlers.get(handler);
  if (known === undefined) {
    known = readStreamHandler(handler);
    streamHandlers.set(handler, known);
  }
  return known;
}

function readStreamHandler(handler: object): boolean {
  const patterns: unknown = Reflect.getMetadata(PATTERN_METADATA, handler);
  return (
    Array.isArray(patterns) &&
    patterns.some(
      (pattern: { streaming?: unknown }) =>
        pattern.streaming !== undefined &&
        pattern.streaming !== GrpcMethodStreamingType.NO_STREAMING,
    )
  );
}
