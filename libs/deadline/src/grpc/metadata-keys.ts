/** Position of the callee in the chain (edge = 0); informational, for records and traces. */
export const HOP_METADATA_KEY = 'x-deadline-hop';
/** Trailer that carries a `DomainError`'s machine-readable code across a hop. */
export const ERROR_CODE_METADATA_KEY = 'x-error-code';
/** Trailer that carries a fail-fast answer's `retryAfterMs` (e.g. an open breaker's) across a hop. */
export const RETRY_AFTER_METADATA_KEY = 'x-retry-after-ms';
