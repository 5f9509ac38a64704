import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { Pool } from 'pg';
import { pgPool } from './nest-sql-common.js';

const POOL = 'PG_POOL';
const COLUMNS = 'id, order_id, amount_cents, status';
/** Payment's default `PAYMENT_DECLINE_ABOVE_CENTS`. */
const DECLINE_ABOVE_CENTS = 100_000;

interface ChargeRow {
  id: string;
  order_id: string;
  amount_cents: number;
  status: string;
}

const toCharge = (row: ChargeRow): Record<string, unknown> => ({
  id: row.id,
  orderId: row.order_id,
  amountCents: row.amount_cents,
  status: row.status,
});

/** The statements of apps/payment/src/payment.repository.ts: look the order up, insert once. */
@Controller()
class PaymentController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @GrpcMethod('PaymentService', 'Charge')
  async charge({
    orderId,
    amountCents,
  }: {
    orderId: string;
    amountCents: number;
  }): Promise<Record<string, unknown>> {
    const existing = await this.find(orderId);
    if (existing) return toCharge(existing);
    if (amountCents > DECLINE_ABOVE_CENTS)
      throw new RpcException({
        code: status.FAILED_PRECONDITION,
        message: `card declined for ${amountCents} cents`,
      });
    const {
      rows: [inserted],
    } = await this.pool.query<ChargeRow>(
      `INSERT INTO payment.charges (id, order_id, amount_cents, status) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING RETURNING ${COLUMNS}`,
      [`ch_${randomUUID()}`, orderId, amountCents, 'captured'],
    );
    const charge = inserted ?? (await this.find(orderId));
    if (!charge)
      throw new RpcException({
        code: status.INTERNAL,
        message: `charge for ${orderId} conflicted but cannot be found`,
      });
    return toCharge(charge);
  }

  private async find(orderId: string): Promise<ChargeRow | undefined> {
    const { rows } = await this.pool.query<ChargeRow>(
      `SELECT ${COLUMNS} FROM payment.charges WHERE order_id = $1`,
      [orderId],
    );
    return rows[0];
  }
}

@Module({
  controllers: [PaymentController],
  providers: [{ provide: POOL, useFactory: pgPool }],
})
export class NestSqlPaymentModule {}
