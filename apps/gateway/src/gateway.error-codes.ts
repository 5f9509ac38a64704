/**
 * Every `error` code the gateway answers, with its HTTP status. The edge answers no other: a code
 * from a tier behind it that is not listed here is answered as its status's generic code (the last
 * group), and logged. README.md's error table lists exactly these (test/readme.e2e-spec.ts checks).
 * `injected`: a chaos fault's status, whatever it was told to be.
 */
export const GATEWAY_ERROR_CODES: Readonly<
  Record<string, number | 'injected'>
> = {
  // The deadline (libs/deadline, libs/resilience).
  deadline_exceeded: 504,
  attempt_timeout: 504,
  cancelled: 499,
  invalid_timeout: 400,
  // An event stream's reader fell behind its buffer limit (libs/deadline's SSE edge).
  slow_consumer: 429,
  // The request as sent (libs/deadline's body reader, the gateway's own checks, Nest's router).
  invalid_body: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthenticated: 401,
  not_found: 404,
  bad_request: 400,
  // Business answers of the tiers behind (auth, inventory, payment), passed on.
  invalid_token: 401,
  unknown_sku: 404,
  out_of_stock: 409,
  payment_declined: 409,
  // A tier behind is down, failing fast, or failed.
  unavailable: 503,
  breaker_open: 503,
  bulkhead_full: 503,
  bad_gateway: 502,
  chaos_fault: 'injected',
  // A tier behind answered a status with no code of its own (or one not listed above).
  invalid_argument: 400,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 409,
  aborted: 409,
  out_of_range: 400,
  // The gateway's own bug: nothing a client sends leads here.
  internal: 500,
};
