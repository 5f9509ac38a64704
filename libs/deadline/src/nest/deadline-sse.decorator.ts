import { type ExecutionContext, SetMetadata } from '@nestjs/common';

const DEADLINE_SSE = Symbol('DEADLINE_SSE');

/**
 * Marks a route as a server-sent event stream under the edge's stream budget policy. The handler
 * takes `@Res()` (the deadline interceptor writes the events) and returns an Observable of
 * `SseEvent`s; see `interceptEventStream` for the contract.
 */
export const DeadlineSse = (): MethodDecorator & ClassDecorator =>
  SetMetadata(DEADLINE_SSE, true);

export function isEventStreamRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(DEADLINE_SSE, context.getHandler()) === true;
}
