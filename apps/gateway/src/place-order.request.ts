import { DomainError, GrpcStatus, InvalidBodyError } from '@lib/deadline';

export interface PlaceOrderBody {
  readonly sku: string;
  readonly quantity: number;
}

const SKU = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_QUANTITY = 1_000;

/** Validates the `POST /orders` body (already read as JSON, under the deadline); a bad one is a 400 that names the field. */
export function parsePlaceOrder(body: unknown): PlaceOrderBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'must be a JSON object');
  const { sku, quantity } = body as Record<string, unknown>;
  if (typeof sku !== 'string' || !SKU.test(sku))
    throw invalid(
      'sku',
      'must be 1-64 letters, digits, dots, dashes or underscores',
    );
  if (
    typeof quantity !== 'number' ||
    !Number.isInteger(quantity) ||
    quantity < 1 ||
    quantity > MAX_QUANTITY
  ) {
    throw invalid(
      'quantity',
      `must be a whole number from 1 to ${MAX_QUANTITY}`,
    );
  }
  return { sku, quantity };
}

const ORDER_ID = /^ord_[0-9a-f-]{36}$/;

/** An order id in a path (`ord_<uuid>`); anything else is a 400 naming it. */
export function parseOrderId(raw: string): string {
  if (!ORDER_ID.test(raw))
    throw new DomainError(
      GrpcStatus.INVALID_ARGUMENT,
      'bad_request',
      'the order id must be ord_ followed by a UUID',
      'id',
    );
  return raw;
}

/** Extracts the bearer token; a missing or malformed header is a 401. */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(
    authorization?.trim() ?? '',
  );
  if (!match)
    throw new DomainError(
      GrpcStatus.UNAUTHENTICATED,
      'unauthenticated',
      'send Authorization: Bearer <token>',
      'authorization',
    );
  return match[1];
}

function invalid(field: string, reason: string): InvalidBodyError {
  return new InvalidBodyError(field, `${field} ${reason}`);
}
