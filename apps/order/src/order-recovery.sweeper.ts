import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Deadline, runWithDeadline } from '@lib/deadline';
import type { OrderEnv } from './order.env.js';
import { OrderRepository } from './order.repository.js';
import { OrderService, type SettleHow } from './order.service.js';

/** Most sagas one pass takes over; the next pass takes the rest. */
const RECOVERY_BATCH = 100;

/**
 * Finishes sagas nobody is finishing: orders still pending well past their deadline (this process
 * died mid-saga) are decided by payment's record; decided orders whose reservation was never settled
 * (inventory unreachable at the time) are settled again. Each order under its own deadline.
 */
@Injectable()
export class OrderRecoverySweeper
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(OrderRecoverySweeper.name);
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly settleBudgetMs: number;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly orders: OrderRepository,
    private readonly service: OrderService,
    config: ConfigService<OrderEnv, true>,
  ) {
    this.intervalMs = config.get('ORDER_RECOVERY_INTERVAL_MS', { infer: true });
    this.graceMs = config.get('ORDER_RECOVERY_GRACE_MS', { infer: true });
    this.settleBudgetMs = config.get('ORDER_SETTLE_BUDGET_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping.abort(new Error('order tier shutting down'));
    await this.running;
  }

  /** One pass now; returns how many sagas it finished. */
  async recover(): Promise<number> {
    const found = await this.bounded('find-unsettled', () =>
      this.orders.unsettled(this.graceMs, RECOVERY_BATCH),
    );
    let finished = 0;
    for (const order of found) {
      if (this.stopping.signal.aborted) break;
      const how: SettleHow =
        order.status === 'pending'
          ? 'by-payment'
          : order.status === 'confirmed'
            ? 'commit'
            : 'release';
      try {
        const action = await this.bounded('recover', () =>
          this.service.settle(order.id, how),
        );
        finished++;
        this.logger.log({
          msg: 'saga recovered',
          orderId: order.id,
          status: order.status,
          action,
        });
      } catch (error) {
        this.logger.warn({
          msg: 'saga recovery failed; will retry',
          orderId: order.id,
          error: String(error),
        });
      }
    }
    return finished;
  }

  private async bounded<T>(method: string, work: () => Promise<T>): Promise<T> {
    const deadline = Deadline.after(this.settleBudgetMs, {
      signal: this.stopping.signal,
    });
    try {
      return await runWithDeadline(deadline, work, {
        service: 'order',
        method,
      });
    } finally {
      deadline.dispose();
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.recover()
        .then(
          () => undefined,
          (error: unknown) =>
            this.logger.warn({
              msg: 'recovery pass failed',
              error: String(error),
            }),
        )
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
