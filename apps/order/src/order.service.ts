import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type Charge,
  type InventoryService,
  type Order,
  type PaymentService,
  type OrderEvent,
  type PlaceOrderRequest,
  type WatchOrderRequest,
} from '@lib/contracts';
import { Observable } from 'rxjs';
import {
  currentDeadline,
  Deadline,
  type DeadlineClient,
  delay,
  DomainError,
  DownstreamError,
  GrpcStatus,
  InjectGrpcClient,
  runWithDeadline,
} from '@lib/deadline';
import type { OrderEnv } from './order.env.js';
import { OrderChanges } from './order-changes.js';
import { OrderRepository } from './order.repository.js';

/** How a finished-or-failed saga settles its reservation. */
export type SettleHow = 'commit' | 'release' | 'by-payment';

/**
 * How long after giving up on a charge we ask payment what happened. A charge still being written then
 * is bounded by payment's own deadline (smaller than ours) and stopped by the cancellation we sent, so
 * past our deadline it has landed or not; a cancelled request (long budget left) waits at most
 * {@link SETTLE_AFTER_CANCEL_MS} for the write that the cancel could not stop (a COMMIT on its way).
 */
const SETTLE_AFTER_EXPIRY_MS = 250;
const SETTLE_AFTER_CANCEL_MS = 1_000;

/**
 * The order saga: record the order, reserve stock, charge, confirm. When the charge fails, is
 * cancelled or runs out of time after the reservation, a follow-up settles the saga by what payment
 * actually did: confirm and commit if the charge went through after all, fail and release otherwise.
 * A follow-up that cannot finish (downstream unreachable, this process stopped) leaves the order
 * unsettled in the database, and {@link OrderRecoverySweeper} finishes it later.
 */
@Injectable()
export class OrderService
  implements BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(OrderService.name);
  private readonly settleBudgetMs: number;
  private readonly drainMs: number;
  private readonly watchPollMs: number;
  /** From the start of shutdown: how long follow-ups under way may still take. */
  private drain: Deadline | undefined;
  private readonly settling = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    @InjectGrpcClient('inventory')
    private readonly inventory: DeadlineClient<InventoryService>,
    @InjectGrpcClient('payment')
    private readonly payment: DeadlineClient<PaymentService>,
    private readonly orders: OrderRepository,
    private readonly changes: OrderChanges,
    config: ConfigService<OrderEnv, true>,
  ) {
    this.watchPollMs = config.get('ORDER_WATCH_POLL_MS', { infer: true });
    this.settleBudgetMs = config.get('ORDER_SETTLE_BUDGET_MS', { infer: true });
    this.drainMs = config.get('SHUTDOWN_DRAIN_MS', { infer: true });
  }

  async placeOrder({
    customerId,
    sku,
    quantity,
  }: PlaceOrderRequest): Promise<Order> {
    if (!sku)
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'sku is required',
        'sku',
      );
    if (!Number.isInteger(quantity) || quantity <= 0)
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'quantity must be a positive integer',
        'quantity',
      );

    const orderId = `ord_${randomUUID()}`;
    // The order is recorded (so that a saga cut short by this process dying is found and finished
    // later) while the stock is reserved: nothing is charged before both have succeeded, and a
    // reservation without its order row is released by inventory's sweeper.
    const [recorded, reserved] = await Promise.allSettled([
      this.orders.begin({ id: orderId, customerId, sku, quantity }),
      this.inventory.reserve({ orderId, sku, quantity }),
    ]);
    if (recorded.status === 'rejected' || reserved.status === 'rejected') {
      // Nothing was charged. Timed out or cancelled: inventory may still have reserved; releasing is idempotent.
      this.settleLater(orderId, 'release');
      throw reserved.status === 'rejected'
        ? reserved.reason
        : (recorded as PromiseRejectedResult).reason;
    }
    const reservation = reserved.value;
    const amountCents = reservation.unitPriceCents * quantity;
    let charge: Charge;
    try {
      charge = await this.payment.charge({ orderId, customerId, amountCents });
    } catch (error) {
      this.settleLater(
        orderId,
        isBusinessError(error) ? 'release' : 'by-payment',
      );
      throw error;
    }
    try {
      const order = await this.orders.confirm(orderId, amountCents, charge.id);
      this.settleLater(orderId, 'commit');
      return (
        order ?? {
          id: orderId,
          status: 'confirmed',
          sku,
          quantity,
          amountCents,
          chargeId: charge.id,
        }
      );
    } catch (error) {
      // Charged, but the confirmation did not land (time ran out): the follow-up confirms from payment's record.
      this.settleLater(orderId, 'by-payment');
      throw error;
    }
  }

  /**
   * The order's state now, then each change: told at once of this replica's writes, and re-read every
   * `ORDER_WATCH_POLL_MS` for another replica's. Every read runs under the stream's deadline (the
   * subscription is made in its scope); unsubscribing (deadline, caller gone, drain) stops it all.
   */
  watchOrder({
    orderId,
    customerId,
  }: WatchOrderRequest): Observable<OrderEvent> {
    return new Observable<OrderEvent>((subscriber) => {
      let last = '';
      let reading = false;
      let again = false;
      const read = async (): Promise<void> => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            const state = await this.orders.state(orderId, customerId);
            if (subscriber.closed) return;
            if (!state)
              throw new DomainError(
                GrpcStatus.NOT_FOUND,
                'not_found',
                `no order ${orderId.slice(0, 64)} for this customer`,
              );
            const seen = JSON.stringify(state);
            if (seen !== last) {
              last = seen;
              subscriber.next(state);
            }
          } while (again);
        } catch (error) {
          subscriber.error(error);
        } finally {
          reading = false;
        }
      };
      const unsubscribe = this.changes.subscribe(orderId, () => void read());
      const poll = setInterval(() => void read(), this.watchPollMs);
      void read();
      return () => {
        unsubscribe();
        clearInterval(poll);
      };
    });
  }

  /**
   * Finishes one saga now, under the current deadline: decides the order by payment's record when
   * asked to, then tells inventory, then marks the order settled. Every step is idempotent.
   */
  async settle(orderId: string, how: SettleHow): Promise<'commit' | 'release'> {
    let action: 'commit' | 'release' = how === 'commit' ? 'commit' : 'release';
    if (how === 'by-payment') {
      const charge = await this.payment
        .getCharge({ orderId })
        .catch((error: unknown) => {
          if (DownstreamError.is(error) && error.code === GrpcStatus.NOT_FOUND)
            return undefined;
          throw error;
        });
      if (charge) {
        await this.orders.confirm(orderId, charge.amountCents, charge.id);
        action = 'commit';
      }
    }
    if (action === 'release') await this.orders.fail(orderId);
    const reservation =
      action === 'commit'
        ? await this.inventory.commit({ orderId })
        : await this.inventory.release({ orderId });
    await this.orders.markSettled(orderId);
    this.logger.log({
      msg: 'reservation settled',
      orderId,
      action,
      state: reservation.state,
    });
    return action;
  }

  /** Shutdown starts (before the gRPC server drains): the follow-ups share that drain time. */
  beforeApplicationShutdown(): void {
    this.drain = Deadline.after(this.drainMs);
  }

  async onApplicationShutdown(): Promise<void> {
    // Follow-ups under way (the drained calls' among them) may finish within the drain time; what is
    // left then stops, and recovery finishes those sagas after the restart.
    const settled = Promise.allSettled([...this.settling]);
    const drain = this.drain ?? Deadline.after(0);
    await Promise.race([
      settled,
      new Promise((resolve) =>
        drain.signal.addEventListener('abort', resolve, { once: true }),
      ),
    ]);
    drain.dispose();
    this.stopping.abort(new Error('order tier shutting down'));
    await settled;
  }

  /**
   * Settles the saga after the request, under its own bounded deadline: deliberately detached from the
   * caller's, which may already have run out (that is often why we are here).
   */
  private settleLater(orderId: string, how: SettleHow): void {
    const request = currentDeadline();
    // Ask payment only once nothing can still be charged under the request's deadline.
    const waitMs =
      how === 'by-payment'
        ? Math.min(
            Math.max(0, request ? request.budgetMs - request.elapsed() : 0),
            SETTLE_AFTER_CANCEL_MS,
          ) + SETTLE_AFTER_EXPIRY_MS
        : 0;
    const work = (async () => {
      if (waitMs > 0) await delay(waitMs, this.stopping.signal);
      const deadline = Deadline.after(this.settleBudgetMs, {
        signal: this.stopping.signal,
      });
      try {
        await runWithDeadline(deadline, () => this.settle(orderId, how), {
          service: 'order',
          method: 'settle',
        });
      } finally {
        deadline.dispose();
      }
    })()
      .catch((error: unknown) =>
        this.logger.warn({
          msg: 'saga left unsettled; recovery will finish it',
          orderId,
          how,
          error: String(error),
        }),
      )
      .finally(() => this.settling.delete(work));
    this.settling.add(work);
  }
}

/** A downstream's definite "no" (declined, invalid): nothing was charged. */
function isBusinessError(error: unknown): boolean {
  return (
    DownstreamError.is(error) &&
    [
      GrpcStatus.FAILED_PRECONDITION,
      GrpcStatus.INVALID_ARGUMENT,
      GrpcStatus.NOT_FOUND,
    ].includes(error.code)
  );
}
