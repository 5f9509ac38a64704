import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Deadline, type DeadlineClient, DomainError, DownstreamError, GrpcStatus, InjectGrpcClient, runWithDeadline } from '@lib/deadline';
import type { InventoryService, Order, PaymentService, PlaceOrderRequest } from '@lib/contracts';
import type { OrderEnv } from './order.env';
import { OrderRepository } from './order.repository';

/**
 * The order saga: reserve stock, charge, confirm. When the charge fails, is cancelled or runs out
 * of time after the reservation, a follow-up settles the reservation by what payment actually did:
 * commit if the charge went through after all, release otherwise.
 */
@Injectable()
export class OrderService implements OnApplicationShutdown {
  private readonly logger = new Logger(OrderService.name);
  private readonly settleBudgetMs: number;
  private readonly settling = new Set<Promise<void>>();

  constructor(
    @InjectGrpcClient('inventory') private readonly inventory: DeadlineClient<InventoryService>,
    @InjectGrpcClient('payment') private readonly payment: DeadlineClient<PaymentService>,
    private readonly orders: OrderRepository,
    config: ConfigService<OrderEnv, true>,
  ) {
    this.settleBudgetMs = config.get('ORDER_SETTLE_BUDGET_MS', { infer: true });
  }

  async placeOrder({ customerId, sku, quantity }: PlaceOrderRequest): Promise<Order> {
    if (!sku) throw new DomainError(GrpcStatus.INVALID_ARGUMENT, 'invalid_argument', 'sku is required', 'sku');
    if (!Number.isInteger(quantity) || quantity <= 0) throw new DomainError(GrpcStatus.INVALID_ARGUMENT, 'invalid_argument', 'quantity must be a positive integer', 'quantity');

    const orderId = `ord_${randomUUID()}`;
    const reservation = await this.inventory.reserve({ orderId, sku, quantity }).catch((error: unknown) => {
      // Timed out or cancelled: inventory may still have reserved. Releasing is idempotent.
      if (!isBusinessError(error)) this.settle(orderId, 'release');
      throw error;
    });
    const amountCents = reservation.unitPriceCents * quantity;
    try {
      const charge = await this.payment.charge({ orderId, customerId, amountCents });
      const order: Order = { id: orderId, status: 'confirmed', sku, quantity, amountCents, chargeId: charge.id };
      await this.orders.save(order);
      this.settle(orderId, 'commit');
      return order;
    } catch (error) {
      this.settle(orderId, isBusinessError(error) ? 'release' : 'by-payment');
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.settling]);
  }

  /**
   * Finishes the saga after the request, under its own bounded deadline: deliberately detached
   * from the caller's, which may already have run out (that is often why we are here).
   */
  private settle(orderId: string, how: 'commit' | 'release' | 'by-payment'): void {
    const work = runWithDeadline(
      Deadline.after(this.settleBudgetMs),
      async () => {
        let action: 'commit' | 'release' = how === 'by-payment' ? 'release' : how;
        if (how === 'by-payment') {
          const charged = await this.payment.getCharge({ orderId }).then(
            () => true,
            (error: unknown) => {
              if (DownstreamError.is(error) && error.code === GrpcStatus.NOT_FOUND) return false;
              throw error;
            },
          );
          action = charged ? 'commit' : 'release';
        }
        const reservation = action === 'commit' ? await this.inventory.commit({ orderId }) : await this.inventory.release({ orderId });
        this.logger.log({ msg: 'reservation settled', orderId, action, state: reservation.state });
      },
      { service: 'order', method: 'settle' },
    )
      .catch((error: unknown) => this.logger.error({ msg: 'reservation left unsettled', orderId, how, error: String(error) }))
      .finally(() => this.settling.delete(work));
    this.settling.add(work);
  }
}

/** A downstream's definite "no" (declined, invalid): nothing was charged. */
function isBusinessError(error: unknown): boolean {
  return DownstreamError.is(error) && [GrpcStatus.FAILED_PRECONDITION, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND].includes(error.code);
}
