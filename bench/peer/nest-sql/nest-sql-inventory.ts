import { Controller, Inject, Module } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { type ServerUnaryCall, status } from '@grpc/grpc-js';
import type { Pool } from 'pg';
import { deadlineOf, pgPool, remainingMs } from './nest-sql-common.js';

const POOL = 'PG_POOL';
const COLUMNS = 'order_id, sku, quantity, unit_price_cents, state';

interface ReservationRow {
  order_id: string | null;
  sku: string | null;
  quantity: number;
  unit_price_cents: number;
  state: string;
}

const toReservation = (row: ReservationRow): Record<string, unknown> => ({
  orderId: row.order_id,
  sku: row.sku ?? '',
  quantity: row.quantity,
  state: row.state,
  unitPriceCents: row.unit_price_cents,
});

/** The statements of apps/inventory/src/inventory.repository.ts, issued with `pg` directly. */
@Controller()
class InventoryController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @GrpcMethod('InventoryService', 'Reserve')
  async reserve(
    {
      orderId,
      sku,
      quantity,
    }: { orderId: string; sku: string; quantity: number },
    _metadata: unknown,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<Record<string, unknown>> {
    const holdMs = remainingMs(deadlineOf(call));
    const {
      rows: [row],
    } = await this.pool.query<ReservationRow & { known: boolean }>(
      `WITH prior AS (
         SELECT ${COLUMNS} FROM inventory.reservations WHERE order_id = $1
       ), taken AS (
         UPDATE inventory.items SET available = available - $3, reserved = reserved + $3
         WHERE sku = $2 AND available >= $3 AND NOT EXISTS (SELECT 1 FROM prior)
         RETURNING sku, unit_price_cents
       ), created AS (
         INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at)
         SELECT $1, sku, $3, unit_price_cents, 'reserved', now() + $4 * interval '1 millisecond' FROM taken
         RETURNING ${COLUMNS}
       )
       SELECT EXISTS (SELECT 1 FROM inventory.items WHERE sku = $2) AS known, r.*
       FROM (SELECT 1) AS one
       LEFT JOIN (SELECT * FROM created UNION ALL SELECT * FROM prior) AS r ON true`,
      [orderId, sku, quantity, holdMs],
    );
    if (!row.known)
      throw new RpcException({
        code: status.NOT_FOUND,
        message: `no such sku: ${sku}`,
      });
    if (row.order_id === null || row.state === 'released')
      throw new RpcException({
        code: status.FAILED_PRECONDITION,
        message: 'out of stock',
      });
    return toReservation(row);
  }

  @GrpcMethod('InventoryService', 'Commit')
  async commit({
    orderId,
  }: {
    orderId: string;
  }): Promise<Record<string, unknown>> {
    return this.settle(orderId, 'committed', 'commit');
  }

  @GrpcMethod('InventoryService', 'Release')
  async release({
    orderId,
  }: {
    orderId: string;
  }): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query(
      `INSERT INTO inventory.reservations (order_id, sku, quantity, unit_price_cents, state, expires_at, settled_at, settled_by)
       VALUES ($1, NULL, 0, 0, 'released', now(), now(), 'release-before-reserve')
       ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
      [orderId],
    );
    if (rows.length)
      return {
        orderId,
        sku: '',
        quantity: 0,
        state: 'none',
        unitPriceCents: 0,
      };
    return this.settle(orderId, 'released', 'release');
  }

  private async settle(
    orderId: string,
    state: 'released' | 'committed',
    by: string,
  ): Promise<Record<string, unknown>> {
    const {
      rows: [row],
    } = await this.pool.query<ReservationRow>(
      `WITH settled AS (
         UPDATE inventory.reservations SET state = $2::text, settled_at = now(), settled_by = $3::text
         WHERE order_id = $1 AND state = 'reserved'
         RETURNING ${COLUMNS}
       ), moved AS (
         UPDATE inventory.items AS i SET reserved = i.reserved - s.quantity,
           available = i.available + CASE WHEN $2::text = 'released' THEN s.quantity ELSE 0 END,
           sold = i.sold + CASE WHEN $2::text = 'committed' THEN s.quantity ELSE 0 END
         FROM settled AS s WHERE i.sku = s.sku
       )
       SELECT * FROM settled
       UNION ALL
       SELECT ${COLUMNS} FROM inventory.reservations
       WHERE order_id = $1 AND NOT EXISTS (SELECT 1 FROM settled)`,
      [orderId, state, by],
    );
    return row
      ? toReservation(row)
      : { orderId, sku: '', quantity: 0, state: 'none', unitPriceCents: 0 };
  }
}

@Module({
  controllers: [InventoryController],
  providers: [{ provide: POOL, useFactory: pgPool }],
})
export class NestSqlInventoryModule {}
