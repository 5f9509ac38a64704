import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { currentDeadline, delay, DomainError, GrpcStatus } from '@lib/deadline';
import type {
  GetStockRequest,
  OrderRef,
  Reservation,
  ReserveRequest,
  Stock,
} from '@lib/contracts';
import type { InventoryEnv } from './inventory.env.js';
import { InventoryRepository } from './inventory.repository.js';

const NONE = (orderId: string): Reservation => ({
  orderId,
  sku: '',
  quantity: 0,
  state: 'none',
  unitPriceCents: 0,
});

/** Reserves, releases and commits stock. */
@Injectable()
export class InventoryService {
  private readonly latencyMs: number;

  constructor(
    private readonly repository: InventoryRepository,
    config: ConfigService<InventoryEnv, true>,
  ) {
    this.latencyMs = config.get('INVENTORY_LATENCY_MS', { infer: true });
  }

  async reserve({
    orderId,
    sku,
    quantity,
  }: ReserveRequest): Promise<Reservation> {
    if (!orderId)
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'order_id is required',
        'order_id',
      );
    if (!Number.isInteger(quantity) || quantity <= 0)
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'quantity must be a positive integer',
        'quantity',
      );
    // Simulated slow storage; abandoned the moment our caller's deadline aborts, before any write.
    if (this.latencyMs > 0)
      await delay(this.latencyMs, currentDeadline()?.signal);
    // Last check before the write: a caller that has gone must not leave stock held.
    currentDeadline()?.throwIfExpired();
    const outcome = await this.repository.reserve(orderId, sku, quantity);
    if ('refused' in outcome)
      throw outcome.refused === 'unknown_sku'
        ? unknownSku(sku)
        : new DomainError(
            GrpcStatus.FAILED_PRECONDITION,
            'out_of_stock',
            `not enough ${sku.slice(0, 64)} in stock for ${quantity}`,
          );
    const { reservation } = outcome;
    // The order was released (its caller gave up) before this Reserve arrived: nothing is held.
    if (reservation.state === 'released')
      throw new DomainError(
        GrpcStatus.FAILED_PRECONDITION,
        'order_released',
        `order ${orderId.slice(0, 64)} was released before this reserve arrived`,
      );
    return reservation;
  }

  async release({ orderId }: OrderRef): Promise<Reservation> {
    return (await this.repository.release(orderId)) ?? NONE(orderId);
  }

  async commit({ orderId }: OrderRef): Promise<Reservation> {
    return (await this.repository.commit(orderId)) ?? NONE(orderId);
  }

  async getStock({ sku }: GetStockRequest): Promise<Stock> {
    const stock = await this.repository.stock(sku);
    if (!stock) throw unknownSku(sku);
    return stock;
  }
}

const unknownSku = (sku: string): DomainError =>
  new DomainError(
    GrpcStatus.NOT_FOUND,
    'unknown_sku',
    `no such sku: ${sku.slice(0, 64)}`,
  );
