import type { Database } from '@lib/database';
import type { Charge } from '@lib/contracts';

/** Where payment keeps its charges, keyed by order id (the idempotency key). */
export abstract class PaymentRepository {
  abstract findByOrder(orderId: string): Promise<Charge | undefined>;
  /** Stores the charge unless one exists for the order; returns whichever is stored. */
  abstract insertOnce(charge: Charge): Promise<Charge>;
}

interface ChargeRow {
  id: string;
  order_id: string;
  amount_cents: number;
  status: string;
}

const COLUMNS = 'id, order_id, amount_cents, status';
const toCharge = (row: ChargeRow): Charge => ({
  id: row.id,
  orderId: row.order_id,
  amountCents: row.amount_cents,
  status: row.status,
});

/** Charges in PostgreSQL (or the embedded engine): schema `payment`, every query bound to the current deadline. */
export class SqlPaymentRepository extends PaymentRepository {
  constructor(private readonly db: Database) {
    super();
  }

  async findByOrder(orderId: string): Promise<Charge | undefined> {
    const [row] = await this.db.query<ChargeRow>(
      `SELECT ${COLUMNS} FROM payment.charges WHERE order_id = $1`,
      [orderId],
    );
    return row && toCharge(row);
  }

  async insertOnce(charge: Charge): Promise<Charge> {
    const [inserted] = await this.db.query<ChargeRow>(
      `INSERT INTO payment.charges (id, order_id, amount_cents, status) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [charge.id, charge.orderId, charge.amountCents, charge.status],
    );
    if (inserted) return toCharge(inserted);
    // Another attempt for the same order got there first (and has committed: ON CONFLICT waited for it).
    const existing = await this.findByOrder(charge.orderId);
    if (!existing)
      throw new Error(
        `charge for ${charge.orderId} conflicted but cannot be found`,
      );
    return existing;
  }
}
