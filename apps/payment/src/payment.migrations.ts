import type { Migration } from '@lib/database';

/** Payment's schema: one charge per order, enforced by the database. */
export const PAYMENT_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-charges',
    statements: [
      `CREATE TABLE payment.charges (
        -- The idempotency key: a retry after a timeout finds the first charge instead of making a second.
        order_id text PRIMARY KEY,
        id text NOT NULL UNIQUE,
        amount_cents integer NOT NULL CHECK (amount_cents > 0),
        status text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
];
