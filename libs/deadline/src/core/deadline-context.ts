import { AsyncLocalStorage } from 'node:async_hooks';
import type { Deadline } from './deadline.js';
import { DeadlineScope } from './deadline-scope.js';

const storage = new AsyncLocalStorage<DeadlineScope>();

/** The scope of the request being served here, if any. */
export function currentScope(): DeadlineScope | undefined {
  return storage.getStore();
}

/** The deadline of the request being served here, if any. Outgoing clients pick it up from here. */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore()?.deadline;
}

/** Runs `fn` with `scope` as the current request scope (adapters call this once per request). */
export function runInScope<T>(scope: DeadlineScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/**
 * Runs `fn` with an explicit deadline in scope: for work started outside a request
 * (a job, a script) that must still be bounded and cancellable.
 */
export function runWithDeadline<T>(
  deadline: Deadline,
  fn: () => T,
  name: { service?: string; method?: string } = {},
): T {
  return storage.run(
    new DeadlineScope(
      deadline,
      name.service ?? 'local',
      name.method ?? 'run',
      deadline.budgetMs,
    ),
    fn,
  );
}
