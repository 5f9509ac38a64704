import { randomUUID } from 'node:crypto';
import { Controller, Inject, Module, type OnModuleInit } from '@nestjs/common';
import {
  type ClientGrpc,
  ClientsModule,
  GrpcMethod,
  RpcException,
} from '@nestjs/microservices';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Pool } from 'pg';
import { lastValueFrom, type Observable } from 'rxjs';
import { INVENTORY, PAYMENT } from '@lib/contracts';
import {
  deadlineOf,
  grpcTransport,
  pgPool,
  remainingMs,
} from './nest-sql-common.js';

const POOL = 'PG_POOL';
/** The order tier's default `ORDER_SETTLE_BUDGET_MS`: the follow-up's own deadline. */
const SETTLE_BUDGET_MS = 2_000;

type Rpc<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
) => Observable<Res>;

interface InventoryRpc {
  reserve: Rpc<
    { orderId: string; sku: string; quantity: number },
    { unitPriceCents: number }
  >;
  commit: Rpc<{ orderId: string }, unknown>;
  release: Rpc<{ orderId: string }, unknown>;
}
interface PaymentRpc {
  charge: Rpc<
    { orderId: string; customerId: string; amountCents: number },
    { id: string; amountCents: number }
  >;
}

interface OrderRow {
  id: string;
  status: string;
  sku: string;
  quantity: number;
  amount_cents: number | null;
  charge_id: string | null;
}

/**
 * The saga of apps/order/src/order.service.ts with the statements of its repository: record the
 * order and reserve at once, charge, confirm; then, after the answer, commit (or release) under a
 * deadline of its own and mark the order settled. The deadline travels as the calls' `deadline`
 * option, taken from the incoming call. No recovery sweeper, no settling by payment's record.
 */
@Controller()
class OrderController implements OnModuleInit {
  private inventory!: InventoryRpc;
  private payment!: PaymentRpc;

  constructor(
    @Inject('INVENTORY') private readonly inventoryClient: ClientGrpc,
    @Inject('PAYMENT') private readonly paymentClient: ClientGrpc,
    @Inject(POOL) private readonly pool: Pool,
  ) {}

  onModuleInit(): void {
    this.inventory = this.inventoryClient.getService<InventoryRpc>(
      INVENTORY.service,
    );
    this.payment = this.paymentClient.getService<PaymentRpc>(PAYMENT.service);
  }

  @GrpcMethod('OrderService', 'PlaceOrder')
  async placeOrder(
    {
      customerId,
      sku,
      quantity,
    }: { customerId: string; sku: string; quantity: number },
    _metadata: unknown,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<Record<string, unknown>> {
    const deadline = deadlineOf(call);
    const id = `ord_${randomUUID()}`;
    try {
      const [, reservation] = await Promise.all([
        this.pool.query(
          `INSERT INTO orders.orders (id, status, customer_id, sku, quantity, expires_at) VALUES ($1, 'pending', $2, $3, $4, now() + $5 * interval '1 millisecond')`,
          [id, customerId, sku, quantity, remainingMs(deadline)],
        ),
        lastValueFrom(
          this.inventory.reserve(
            { orderId: id, sku, quantity },
            new Metadata(),
            { deadline },
          ),
        ),
      ]);
      const amountCents = reservation.unitPriceCents * quantity;
      const charge = await lastValueFrom(
        this.payment.charge(
          { orderId: id, customerId, amountCents },
          new Metadata(),
          { deadline },
        ),
      );
      const {
        rows: [row],
      } = await this.pool.query<OrderRow>(
        `UPDATE orders.orders SET status = 'confirmed', amount_cents = $2, charge_id = $3, updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING id, status, sku, quantity, amount_cents, charge_id`,
        [id, amountCents, charge.id],
      );
      void this.settle(id, 'commit');
      return {
        id,
        status: row?.status ?? 'confirmed',
        sku,
        quantity,
        amountCents,
        chargeId: charge.id,
      };
    } catch (error) {
      // As ours does on a failure it cannot blame on the charge: release whatever may be held.
      void this.settle(id, 'release');
      // A downstream's status travels on as it came (Nest would answer INTERNAL for anything else).
      const { code, details } = error as { code?: number; details?: string };
      throw code === undefined
        ? error
        : new RpcException({ code, message: details ?? String(error) });
    }
  }

  /** After the answer, under its own deadline: tell inventory the outcome, then mark the order settled. */
  private async settle(id: string, how: 'commit' | 'release'): Promise<void> {
    const options = { deadline: Date.now() + SETTLE_BUDGET_MS };
    try {
      if (how === 'release')
        await this.pool.query(
          `UPDATE orders.orders SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'pending' RETURNING status`,
          [id],
        );
      await lastValueFrom(
        this.inventory[how]({ orderId: id }, new Metadata(), options),
      );
      await this.pool.query(
        'UPDATE orders.orders SET settled = true, updated_at = now() WHERE id = $1',
        [id],
      );
    } catch {
      // Left unsettled: this peer has no recovery sweeper (the benchmark's orders all succeed).
    }
  }
}

@Module({
  imports: [
    ClientsModule.register([
      {
        name: 'INVENTORY',
        ...grpcTransport(INVENTORY, process.env.PEER_INVENTORY_URL ?? ''),
      },
      {
        name: 'PAYMENT',
        ...grpcTransport(PAYMENT, process.env.PEER_PAYMENT_URL ?? ''),
      },
    ]),
  ],
  controllers: [OrderController],
  providers: [{ provide: POOL, useFactory: pgPool }],
})
export class NestSqlOrderModule {}
