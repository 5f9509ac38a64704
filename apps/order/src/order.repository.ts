import { currentDeadline, type Deadline } from '@lib/deadline';
import { type Database, WriteBatch } from '@lib/database';
import type { Order, OrderEvent } from '@lib/contracts';
import type { OrderChanges } from './order-changes.js';

export type OrderStatus = 'pending' | 'confirmed' | 'failed';

/** An order whose saga has not finished: inventory has not yet heard its outcome. */
export interface UnsettledOrder {
  readonly id: string;
  readonly status: OrderStatus;
}

/** Where the order tier keeps orders, from the moment they are placed. */
export abstract class OrderRepository {
  /** Records a new order as pending, until the current deadline. */
  abstract begin(order: {
    readonly id: string;
    readonly customerId: string;
    readonly sku: string;
    readonly quantity: number;
  }): Promise<void>;
  /** pending → confirmed with its charge; an order already decided stays as it is. Returns the order as stored. */
  abstract confirm(
    id: string,
    amountCents: number,
    chargeId: string,
  ): Promise<Order | undefined>;
  /** pending → failed (nothing was charged); an order already decided stays as it is. */
  abstract fail(id: string): Promise<OrderStatus | undefined>;
  /** Inventory has heard the outcome: the saga is over. */
  abstract markSettled(id: string): Promise<void>;
  abstract find(id: string): Promise<Order | undefined>;
  /** The order as a watcher sees it, if it is this customer's. */
  abstract state(
    id: string,
    customerId: string,
  ): Promise<OrderEvent | undefined>;
  /** Orders whose saga is unfinished `graceMs` after their deadline (pending) or their last change (decided). */
  abstract unsettled(graceMs: number, limit: number): Promise<UnsettledOrder[]>;
}

interface OrderRow {
  id: string;
  status: OrderStatus;
  sku: string;
  quantity: number;
  amount_cents: number | null;
  charge_id: string | null;
}

const COLUMNS = 'id, status, sku, quantity, amount_cents, charge_id';
const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  status: row.status,
  sku: row.sku,
  quantity: row.quantity,
  amountCents: row.amount_cents ?? 0,
  chargeId: row.charge_id ?? '',
});

/** Orders in PostgreSQL (or the embedded engine): schema `orders`, every query bound to the current deadline. */
export class SqlOrderRepository extends OrderRepository {
  /** Settled marks of one window go in one UPDATE: they are bookkeeping after the answer has gone. */
  private readonly settledMarks: WriteBatch<string>;

  constructor(
    private readonly db: Database,
    /** Told after every write, for the watchers of that order. */
    private readonly changes?: OrderChanges,
    /** How long a settled mark waits for others to share its statement; 0 writes each alone. */
    settleBatchMs = 0,
  ) {
    super();
    this.settledMarks = new WriteBatch({
      windowMs: settleBatchMs,
      write: (ids, deadline) => this.writeSettled(ids, deadline),
    });
  }

  async begin(order: {
    readonly id: string;
    readonly customerId: string;
    readonly sku: string;
    readonly quantity: number;
  }): Promise<void> {
    const holdMs = Math.ceil(currentDeadline()?.remaining() ?? 0);
    await this.db.query(
      `INSERT INTO orders.orders (id, status, customer_id, sku, quantity, expires_at) VALUES ($1, 'pending', $2, $3, $4, now() + $5 * interval '1 millisecond')`,
      [order.id, order.customerId, order.sku, order.quantity, holdMs],
    );
    this.changes?.changed(order.id);
  }

  async confirm(
    id: string,
    amountCents: number,
    chargeId: string,
  ): Promise<Order | undefined> {
    const [row] = await this.db.query<OrderRow>(
      `UPDATE orders.orders SET status = 'confirmed', amount_cents = $2, charge_id = $3, updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
      [id, amountCents, chargeId],
    );
    if (row) this.changes?.changed(id);
    return row ? toOrder(row) : this.find(id);
  }

  async fail(id: string): Promise<OrderStatus | undefined> {
    const [row] = await this.db.query<{ status: OrderStatus }>(
      `UPDATE orders.orders SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING status`,
      [id],
    );
    if (row) this.changes?.changed(id);
    return (
      row?.status ?? ((await this.find(id))?.status as OrderStatus | undefined)
    );
  }

  markSettled(id: string): Promise<void> {
    return this.settledMarks.add(id);
  }

  private async writeSettled(
    ids: readonly string[],
    deadline: Deadline | undefined,
  ): Promise<void> {
    await this.db.query(
      'UPDATE orders.orders SET settled = true, updated_at = now() WHERE id = ANY($1::text[])',
      [ids],
      deadline && { deadline },
    );
    for (const id of ids) this.changes?.changed(id);
  }

  async state(id: string, customerId: string): Promise<OrderEvent | undefined> {
    const [row] = await this.db.query<OrderRow & { settled: boolean }>(
      `SELECT ${COLUMNS}, settled FROM orders.orders WHERE id = $1 AND customer_id = $2`,
      [id, customerId],
    );
    return (
      row && {
        orderId: row.id,
        status: row.status,
        settled: row.settled,
        amountCents: row.amount_cents ?? 0,
        chargeId: row.charge_id ?? '',
      }
    );
  }

  async find(id: string): Promise<Order | undefined> {
    const [row] = await this.db.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders.orders WHERE id = $1`,
      [id],
    );
    return row && toOrder(row);
  }

  async unsettled(graceMs: number, limit: number): Promise<UnsettledOrder[]> {
    return this.db.query<UnsettledOrder>(
      `SELECT id, status FROM orders.orders
       WHERE NOT settled AND (CASE WHEN status = 'pending' THEN expires_at ELSE updated_at END) + $1 * interval '1 millisecond' < now()
       ORDER BY updated_at LIMIT $2`,
      [graceMs, limit],
    );
  }
}
