import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Deadline, runWithDeadline } from '@lib/deadline';
import type { InventoryEnv } from './inventory.env.js';
import { InventoryRepository } from './inventory.repository.js';

/** Most reservations one sweep releases; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Releases reservations whose outcome never arrived (the order tier died mid-saga, or its follow-up
 * could not reach us): once their deadline plus a grace period has passed, their units go back on the
 * shelf. Each sweep runs under its own deadline; sweeps never overlap.
 */
@Injectable()
export class ReservationSweeper
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ReservationSweeper.name);
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private current: Deadline | undefined;

  constructor(
    private readonly repository: InventoryRepository,
    config: ConfigService<InventoryEnv, true>,
  ) {
    this.intervalMs = config.get('INVENTORY_SWEEP_INTERVAL_MS', {
      infer: true,
    });
    this.graceMs = config.get('INVENTORY_SWEEP_GRACE_MS', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current?.cancel();
    await this.sweeping;
  }

  /** One sweep now; returns how many reservations it released. */
  async sweep(): Promise<number> {
    const deadline = Deadline.after(Math.max(1_000, this.intervalMs));
    this.current = deadline;
    try {
      const released = await runWithDeadline(
        deadline,
        () => this.repository.releaseExpired(this.graceMs, SWEEP_BATCH),
        { service: 'inventory', method: 'sweep' },
      );
      if (released > 0)
        this.logger.log({
          msg: 'expired reservations released',
          released,
          graceMs: this.graceMs,
        });
      return released;
    } finally {
      deadline.dispose();
      this.current = undefined;
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then(
          () => undefined,
          (error: unknown) =>
            this.logger.warn({ msg: 'sweep failed', error: String(error) }),
        )
        .finally(() => {
          this.sweeping = undefined;
          if (this.timer) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
