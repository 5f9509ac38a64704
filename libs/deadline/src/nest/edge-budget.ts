import type { Request } from 'express';
import {
  type BudgetPolicy,
  resolveBudget,
  type ResolvedBudget,
} from '../core/budget-policy.js';
import type { InvalidTimeoutError } from '../core/invalid-timeout.error.js';
import type { Result } from '../core/result.js';
import {
  ENVOY_TIMEOUT_HEADER,
  REQUEST_TIMEOUT_HEADER,
  REQUEST_TIMEOUT_QUERY,
} from '../core/request-timeout.js';

/** A request's budget at the HTTP edge: `X-Request-Timeout`, `?timeout=`, a sidecar's header, under `policy`. */
export function edgeBudget(
  request: Request,
  policy: BudgetPolicy,
): Result<ResolvedBudget, InvalidTimeoutError> {
  return resolveBudget(
    [
      {
        name: REQUEST_TIMEOUT_HEADER,
        raw: request.headersDistinct[REQUEST_TIMEOUT_HEADER],
      },
      {
        name: `?${REQUEST_TIMEOUT_QUERY}`,
        raw: queryValue(request.query[REQUEST_TIMEOUT_QUERY]),
      },
      {
        name: ENVOY_TIMEOUT_HEADER,
        raw: request.headersDistinct[ENVOY_TIMEOUT_HEADER],
      },
    ],
    policy,
  );
}

/** The request's name in records and logs: its method and route pattern (`POST /orders`), or its path. */
export function edgeMethodName(request: Request): string {
  const route = (request.route as { path?: unknown } | undefined)?.path;
  return `${request.method} ${typeof route === 'string' ? route : request.path}`;
}

function queryValue(value: unknown): string | string[] | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value;
  return ['?']; // a nested object (`?timeout[a]=1`): report it as malformed, not absent
}
