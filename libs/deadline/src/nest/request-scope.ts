import type { DeadlineScope } from '../core/deadline-scope.js';

const scopes = new WeakMap<object, DeadlineScope>();

/** Lets the exception filter, which runs outside the request's async context, find its scope. */
export function attachScope(request: object, scope: DeadlineScope): void {
  scopes.set(request, scope);
}

export function scopeOfRequest(request: object): DeadlineScope | undefined {
  return scopes.get(request);
}
