import { currentDeadline } from '@lib/deadline';
import type { Database, QueryRunner } from '@lib/database';
import type { Reservation, Stock } from '@lib/contracts';

export interface CatalogItem {
  readonly sku: string;
  readonly unitPriceCents: number;
}

/** Where inventory keeps its stock and reservations. Each operation is atomic. */
export abstract class InventoryRepository {
  abstract findItem(sku: string): Promise<CatalogItem | undefined>;
  abstract findReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * Moves `quantity` from available to reserved; `undefined` when there is not enough. Held until the
   * current deadline expires; the sweeper releases it after that plus a grace period if nobody settled it.
   * Reserving an order id twice returns the first reservation.
   */
  abstract reserve(
    orderId: string,
    item: CatalogItem,
    quantity: number,
  ): Promise<Reservation | undefined>;
  /**
   * Moves a reservation's units back to available (reserved → released). Released before it was
   * reserved, the order stays released: a Reserve that arrives later holds nothing.
   */
  abstract release(orderId: string): Promise<Reservation | undefined>;
  /** Moves a reservation's units to sold (reserved → committed). */
  abstract commit(orderId: string): Promise<Reservation | undefined>;
  abstract stock(sku: string): Promise<Stock | undefined>;
  /** Releases reservations still open `graceMs` after their deadline; returns how many. */
  abstract releaseExpired(graceMs: number, limit: number): Promise<number>;
}

/** The seeded catalogue: a cheap item, a mid one, and one pricey enough to be declined by payment. */
export const SEED_CATALOG: readonly CatalogItem[] = [
  { sku: 'espresso', unitPriceCents: 350 },
  { sku: 'latte', unitPriceCents: 450 },
  { sku: 'grinder', unitPriceCents: 129_900 },
];

interface ReservationRow {
  order_id: string;
  /** `null` on the row a Release leaves when no Reserve came before it. */
  sku: string | null;
  quantity: number;
  unit_price_cents: number;
  state: 'reserved' | 'committed' | 'released';
}

const RESERVATION_COLUMNS = 'order_id, sku, quantity, unit_price_cents, state';
const toReservation = (row: ReservationRow): Reservation => ({
  orderId: row.order_id,
  sku: row.sku ?? '',
  quantity: row.quantity,
  state: row.state,
  unitPriceCents: row.unit_price_cents,
});

/** Inventory in PostgreSQL (or the embedded engine): schema `inventory`, every query bound to the current deadline. */
export class SqlInventoryRepository extends InventoryRepository {
  constructor(private readonly db: Database) {
    super();
  }

  /** Puts each catalogue item on the shelf with `stockPerItem` units, unless it is already there. */
  async seed(
    catalog: readonly CatalogItem[],
    stockPerItem: number,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const item of catalog) {
        await tx.query(
          'INSERT INTO inventory.items (sku, unit_price_cents, initial, available, reserved, sold) VALUES ($1, $2, $3, $3, 0, 0) ON CONFLICT (sku) DO NOTHING',
          [item.sku, item.unitPriceCents, stockPerItem],
        );
      }
    });
  }

  async findItem(sku: string): Promise<CatalogItem | undefined> {
    const [row] = await this.db.query<{
      sku: string;
      unit_price_cents: number;
    }>('SELECT sku, unit_price_cents FROM inventory.items WHERE sku = $1', [
      sku,
    ]);
    return row && { sku: row.sku, unitPriceCents: row.unit_price_cents };
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const [row] = await this.db.query<ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations WHERE order_id = $1`,
      [orderId],
    );
    return row && toReservation(row);
  }

  async reserve(
    orderId: string,
    item: CatalogItem,
    quantity: number,
  ): Promise<Reservation | undefined> {
    // Held for as long as the caller's deadline; the database clock stamps it, the sweeper reads the same clock.
    const holdMs = Math.ceil(currentDeadline()?.remaining() ?? 0);
    return this.db
      .transaction(async (tx) => {
        const [created] = await tx.query<ReservationRow>(
          `INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at)
           VALUES ($1, $2, $3, $4, 'reserved', now() + $5 * interval '1 millisecond')
           ON CONFLICT (order_id) DO NOTHING RETURNING ${RESERVATION_COLUMNS}`,
          [orderId, item.sku, quantity, item.unitPriceCents, holdMs],
        );
        if (!created) return this.existing(tx, orderId);
        const taken = await tx.query(
          'UPDATE inventory.items SET available = available - $2, reserved = reserved + $2 WHERE sku = $1 AND available >= $2 RETURNING sku',
          [item.sku, quantity],
        );
        // Not enough: undo the reservation row with the transaction.
        if (taken.length === 0) throw OUT_OF_STOCK;
        return toReservation(created);
      })
      .catch((error: unknown) => {
        if (error === OUT_OF_STOCK) return undefined;
        throw error;
      });
  }

  async release(orderId: string): Promise<Reservation | undefined> {
    return this.db.transaction(async (tx) => {
      // Claim the order id first. A Reserve for it that is still in flight either committed its row
      // before (this insert then conflicts, and the row is settled below) or has not written yet (its
      // insert then conflicts with this row, or waits for this transaction and then does). Either way
      // the Release wins, instead of finding nothing and letting the late Reserve hold the units.
      const [claimed] = await tx.query<ReservationRow>(
        `INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at, settled_at, settled_by)
         VALUES ($1, NULL, 0, 0, 'released', now(), now(), 'release-before-reserve')
         ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
        [orderId],
      );
      if (claimed) return undefined; // nothing was held
      return this.settle(tx, orderId, 'released', 'release');
    });
  }

  async commit(orderId: string): Promise<Reservation | undefined> {
    return this.db.transaction(async (tx) => {
      const settled = await this.settle(tx, orderId, 'committed', 'commit');
      if (settled?.state !== 'released' || settled.quantity === 0)
        return settled;
      // The sweeper gave the units back before the outcome arrived (the order tier was down longer than
      // the grace period), yet the order was paid: sell it from what is available, if it still is.
      const retaken = await tx.query(
        'UPDATE inventory.items SET available = available - $2, sold = sold + $2 WHERE sku = $1 AND available >= $2 RETURNING sku',
        [settled.sku, settled.quantity],
      );
      if (retaken.length === 0) return settled;
      const [row] = await tx.query<ReservationRow>(
        `UPDATE inventory.reservations SET state = 'committed', settled_at = now(), settled_by = 'commit-after-sweep' WHERE order_id = $1 RETURNING ${RESERVATION_COLUMNS}`,
        [orderId],
      );
      return toReservation(row);
    });
  }

  async stock(sku: string): Promise<Stock | undefined> {
    const [row] = await this.db.query<Stock>(
      'SELECT sku, available, reserved, sold FROM inventory.items WHERE sku = $1',
      [sku],
    );
    return (
      row && {
        sku: row.sku,
        available: row.available,
        reserved: row.reserved,
        sold: row.sold,
      }
    );
  }

  async releaseExpired(graceMs: number, limit: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const released = await tx.query<{ sku: string; quantity: number }>(
        `UPDATE inventory.reservations SET state = 'released', settled_at = now(), settled_by = 'sweeper'
         WHERE order_id IN (
           SELECT order_id FROM inventory.reservations
           WHERE state = 'reserved' AND expires_at + $1 * interval '1 millisecond' < now()
           ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING sku, quantity`,
        [graceMs, limit],
      );
      for (const { sku, quantity } of released) {
        await tx.query(
          'UPDATE inventory.items SET reserved = reserved - $2, available = available + $2 WHERE sku = $1',
          [sku, quantity],
        );
      }
      return released.length;
    });
  }

  /** reserved → `state`, moving the units; any other state is returned as it is (settling twice changes nothing). */
  private async settle(
    tx: QueryRunner,
    orderId: string,
    state: 'released' | 'committed',
    by: string,
  ): Promise<Reservation | undefined> {
    const [row] = await tx.query<ReservationRow>(
      `UPDATE inventory.reservations SET state = $2, settled_at = now(), settled_by = $3 WHERE order_id = $1 AND state = 'reserved' RETURNING ${RESERVATION_COLUMNS}`,
      [orderId, state, by],
    );
    if (!row) return this.existing(tx, orderId);
    const move =
      state === 'released'
        ? 'UPDATE inventory.items SET reserved = reserved - $2, available = available + $2 WHERE sku = $1'
        : 'UPDATE inventory.items SET reserved = reserved - $2, sold = sold + $2 WHERE sku = $1';
    await tx.query(move, [row.sku, row.quantity]);
    return toReservation(row);
  }

  private async existing(
    tx: QueryRunner,
    orderId: string,
  ): Promise<Reservation | undefined> {
    const [row] = await tx.query<ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations WHERE order_id = $1`,
      [orderId],
    );
    return row && toReservation(row);
  }
}

/** Rolls the reservation back when the shelf is short; never leaves the repository. */
const OUT_OF_STOCK = new Error('out of stock');
