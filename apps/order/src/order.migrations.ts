import type { Migration } from '@lib/database';

/** Order's schema: each order from the moment it is placed, so a saga cut short can be finished later. */
export const ORDER_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-orders',
    statements: [
      `CREATE TABLE orders.orders (
        id text PRIMARY KEY,
        -- pending → confirmed (charged) | failed (not charged); settled once inventory heard the outcome.
        status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
        customer_id text NOT NULL,
        sku text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        amount_cents integer,
        charge_id text UNIQUE,
        expires_at timestamptz NOT NULL,
        settled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT confirmed_has_charge CHECK (status <> 'confirmed' OR charge_id IS NOT NULL)
      )`,
      `CREATE INDEX orders_unsettled ON orders.orders (updated_at) WHERE NOT settled`,
    ],
  },
];
