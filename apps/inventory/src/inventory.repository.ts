import { currentDeadline, type Deadline } from '@lib/deadline';
import { type Database, WriteBatch } from '@lib/database';
import type { Reservation, Stock } from '@lib/contracts';

export interface CatalogItem {
  readonly sku: string;
  readonly unitPriceCents: number;
}

/** What a Reserve came to: the reservation (new, or the order's earlier one), or why there is none. */
export type ReserveOutcome =
  | { readonly reservation: Reservation }
  | { readonly refused: 'unknown_sku' | 'out_of_stock' };

export interface ReserveLine {
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: number;
}

/** What a ReserveBatch came to: every line's reservation, or the first line refused (nothing is held then). */
export type ReserveBatchOutcome =
  | { readonly reservations: readonly Reservation[] }
  | {
      readonly refused: 'unknown_sku' | 'out_of_stock' | 'order_released';
      /** Index of the refused line. */
      readonly line: number;
    }
  | { readonly refused: 'conflict' };

/** Where inventory keeps its stock and reservations. Each operation is atomic. */
export abstract class InventoryRepository {
  abstract findReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * Moves `quantity` of `sku` from available to reserved. Held until the current deadline expires;
   * the sweeper releases it after that plus a grace period if nobody settled it. An order id that
   * already has a reservation (or was released first) gets that one back, and nothing more is held.
   */
  abstract reserve(
    orderId: string,
    sku: string,
    quantity: number,
  ): Promise<ReserveOutcome>;
  /**
   * Reserves every line as {@link reserve} does, in one transaction: all are held, or (one line
   * refused, the deadline aborted) none.
   */
  abstract reserveBatch(
    lines: readonly ReserveLine[],
  ): Promise<ReserveBatchOutcome>;
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

/**
 * One Reserve in one statement, one round trip: take the units only if the order holds none yet, and
 * record the reservation. A concurrent Reserve or Release of the same order makes the insert conflict,
 * which undoes the whole statement (units included). `$4` is the hold in milliseconds.
 */
const RESERVE_SQL = `WITH prior AS (
     SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations WHERE order_id = $1
   ), taken AS (
     UPDATE inventory.items SET available = available - $3, reserved = reserved + $3
     WHERE sku = $2 AND available >= $3 AND NOT EXISTS (SELECT 1 FROM prior)
     RETURNING sku, unit_price_cents
   ), created AS (
     INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at)
     SELECT $1, sku, $3, unit_price_cents, 'reserved', now() + $4 * interval '1 millisecond' FROM taken
     RETURNING ${RESERVATION_COLUMNS}
   )
   SELECT EXISTS (SELECT 1 FROM inventory.items WHERE sku = $2) AS known, r.*
   FROM (SELECT 1) AS one
   LEFT JOIN (SELECT * FROM created UNION ALL SELECT * FROM prior) AS r ON true`;
type ReserveRow = ReservationRow & { known: boolean };

const outcomeOf = (row: ReserveRow): ReserveOutcome => {
  if (!row.known) return { refused: 'unknown_sku' };
  if (row.order_id === null) return { refused: 'out_of_stock' };
  return { reservation: toReservation(row) };
};

/** Inventory in PostgreSQL (or the embedded engine): schema `inventory`, every query bound to the current deadline. */
export class SqlInventoryRepository extends InventoryRepository {
  /** The Commits of one window settle in one statement: they come from sagas whose client has its answer. */
  private readonly commits: WriteBatch<string, Reservation>;

  constructor(
    private readonly db: Database,
    /** How long a Commit waits for others to share its statement; 0 writes each alone. */
    commitBatchMs = 0,
  ) {
    super();
    this.commits = new WriteBatch({
      windowMs: commitBatchMs,
      write: (orderIds, deadline) =>
        this.settle(orderIds, 'committed', 'commit', deadline),
    });
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

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const [row] = await this.db.query<ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations WHERE order_id = $1`,
      [orderId],
    );
    return row && toReservation(row);
  }

  async reserve(
    orderId: string,
    sku: string,
    quantity: number,
  ): Promise<ReserveOutcome> {
    // Held for as long as the caller's deadline; the database clock stamps it, the sweeper reads the same clock.
    const holdMs = Math.ceil(currentDeadline()?.remaining() ?? 0);
    // One statement, one round trip (RESERVE_SQL); when a concurrent Reserve or Release of the same
    // order made it conflict, the order's row is read back.
    const [row] = await this.db
      .query<ReserveRow>(RESERVE_SQL, [orderId, sku, quantity, holdMs])
      .catch(async (error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        const existing = await this.findReservation(orderId);
        if (!existing) throw error;
        return [{ known: true, ...toRow(existing) }];
      });
    return outcomeOf(row);
  }

  async reserveBatch(
    lines: readonly ReserveLine[],
  ): Promise<ReserveBatchOutcome> {
    const holdMs = Math.ceil(currentDeadline()?.remaining() ?? 0);
    try {
      const reservations = await this.db.transaction(async (tx) => {
        const held: Reservation[] = [];
        for (const [line, { orderId, sku, quantity }] of lines.entries()) {
          const [row] = await tx.query<ReserveRow>(RESERVE_SQL, [
            orderId,
            sku,
            quantity,
            holdMs,
          ]);
          const outcome = outcomeOf(row);
          // Thrown to roll back what the earlier lines took.
          if ('refused' in outcome)
            throw new BatchRefusal(line, outcome.refused);
          if (outcome.reservation.state === 'released')
            throw new BatchRefusal(line, 'order_released');
          held.push(outcome.reservation);
        }
        return held;
      });
      return { reservations };
    } catch (error) {
      if (error instanceof BatchRefusal)
        return { refused: error.refused, line: error.line };
      // A Reserve or Release of one of the orders committed its row while the batch ran.
      if (isUniqueViolation(error)) return { refused: 'conflict' };
      throw error;
    }
  }

  async release(orderId: string): Promise<Reservation | undefined> {
    // Claim the order id first. A Reserve for it still in flight either committed its row before
    // (this insert then conflicts, and the row is settled next) or has not written yet (its insert
    // then conflicts with this row). Either way the Release wins, instead of finding nothing and
    // letting the late Reserve hold the units. Two statements, not one: the settling UPDATE needs a
    // snapshot taken after the claim, to see a Reserve that committed while the claim waited for it.
    const [claimed] = await this.db.query<{ order_id: string }>(
      `INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at, settled_at, settled_by)
       VALUES ($1, NULL, 0, 0, 'released', now(), now(), 'release-before-reserve')
       ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
      [orderId],
    );
    if (claimed) return undefined; // nothing was held
    return (await this.settle([orderId], 'released', 'release')).get(orderId);
  }

  async commit(orderId: string): Promise<Reservation | undefined> {
    const settled = await this.commits.add(orderId);
    if (settled?.state !== 'released' || settled.quantity === 0) return settled;
    // The sweeper gave the units back before the outcome arrived (the order tier was down longer than
    // the grace period), yet the order was paid: sell it from what is available, if it still is.
    return this.db.transaction(async (tx) => {
      const retaken = await tx.query(
        'UPDATE inventory.items SET available = available - $2, sold = sold + $2 WHERE sku = $1 AND available >= $2 RETURNING sku',
        [settled.sku, settled.quantity],
      );
      if (retaken.length === 0) return settled;
      const [row] = await tx.query<ReservationRow>(
        `UPDATE inventory.reservations SET state = 'committed', settled_at = now(), settled_by = 'commit-after-sweep' WHERE order_id = $1 AND state = 'released' RETURNING ${RESERVATION_COLUMNS}`,
        [orderId],
      );
      if (!row)
        throw new Error(`reservation ${orderId} changed while re-selling it`);
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

  /**
   * reserved → `state` for every order given, moving the units of each item by their sum, in one
   * statement; a reservation in any other state is returned as it is (settling twice changes
   * nothing). An order with no reservation is left out of the map.
   */
  private async settle(
    orderIds: readonly string[],
    state: 'released' | 'committed',
    by: string,
    deadline?: Deadline,
  ): Promise<Map<string, Reservation>> {
    const rows = await this.db.query<ReservationRow>(
      `WITH settled AS (
         UPDATE inventory.reservations SET state = $2::text, settled_at = now(), settled_by = $3::text
         WHERE order_id = ANY($1::text[]) AND state = 'reserved'
         RETURNING ${RESERVATION_COLUMNS}
       ), per_item AS (
         SELECT sku, sum(quantity)::integer AS quantity FROM settled GROUP BY sku
       ), moved AS (
         UPDATE inventory.items AS i SET reserved = i.reserved - p.quantity,
           available = i.available + CASE WHEN $2::text = 'released' THEN p.quantity ELSE 0 END,
           sold = i.sold + CASE WHEN $2::text = 'committed' THEN p.quantity ELSE 0 END
         FROM per_item AS p WHERE i.sku = p.sku
       )
       SELECT * FROM settled
       UNION ALL
       SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations
       WHERE order_id = ANY($1::text[]) AND order_id NOT IN (SELECT order_id FROM settled)`,
      [orderIds, state, by],
      deadline && { deadline },
    );
    return new Map(rows.map((row) => [row.order_id, toReservation(row)]));
  }
}

const toRow = (reservation: Reservation): ReservationRow => ({
  order_id: reservation.orderId,
  sku: reservation.sku || null,
  quantity: reservation.quantity,
  unit_price_cents: reservation.unitPriceCents,
  state: reservation.state as ReservationRow['state'],
});

/** PostgreSQL's SQLSTATE for a duplicate key. */
const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '23505';

/** A line the batch cannot hold: unwinds the batch's transaction. */
class BatchRefusal extends Error {
  constructor(
    readonly line: number,
    readonly refused: 'unknown_sku' | 'out_of_stock' | 'order_released',
  ) {
    super(`line ${line} refused: ${refused}`);
  }
}
