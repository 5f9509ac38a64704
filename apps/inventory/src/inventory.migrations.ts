import type { Migration } from '@lib/database';

/** Inventory's schema: shelves that conserve stock, and reservations that settle once. */
export const INVENTORY_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-items-and-reservations',
    statements: [
      `CREATE TABLE inventory.items (
        sku text PRIMARY KEY,
        unit_price_cents integer NOT NULL CHECK (unit_price_cents > 0),
        initial integer NOT NULL CHECK (initial >= 0),
        available integer NOT NULL CHECK (available >= 0),
        reserved integer NOT NULL CHECK (reserved >= 0),
        sold integer NOT NULL CHECK (sold >= 0),
        -- Stock is conserved by construction: no statement can make units appear or vanish.
        CONSTRAINT stock_conserved CHECK (available + reserved + sold = initial)
      )`,
      // reserved → committed | released, once; expires_at is the reserving request's deadline.
      `CREATE TABLE inventory.reservations (
        order_id text PRIMARY KEY,
        sku text NOT NULL REFERENCES inventory.items (sku),
        quantity integer NOT NULL CHECK (quantity > 0),
        unit_price_cents integer NOT NULL,
        state text NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz,
        settled_by text
      )`,
      `CREATE INDEX reservations_open_by_expiry ON inventory.reservations (expires_at) WHERE state = 'reserved'`,
    ],
  },
  {
    // A Release that arrives before its Reserve claims the order id with an empty, released row, so
    // the late Reserve conflicts on the primary key and holds nothing (see the repository's release()).
    id: '002-release-before-reserve',
    statements: [
      `ALTER TABLE inventory.reservations ALTER COLUMN sku DROP NOT NULL`,
      `ALTER TABLE inventory.reservations DROP CONSTRAINT reservations_quantity_check`,
      `ALTER TABLE inventory.reservations ADD CONSTRAINT reservation_holds_units
        CHECK ((sku IS NOT NULL AND quantity > 0) OR (state = 'released' AND sku IS NULL AND quantity = 0))`,
    ],
  },
];
