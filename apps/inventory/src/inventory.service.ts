import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { concatMap, from, type Observable, reduce } from 'rxjs';
import { currentDeadline, delay, DomainError, GrpcStatus } from '@lib/deadline';
import type {
  GetStockRequest,
  OrderRef,
  Reservation,
  ReserveBatchSummary,
  ReserveRequest,
  Stock,
} from '@lib/contracts';
import type { InventoryEnv } from './inventory.env.js';
import { InventoryRepository } from './inventory.repository.js';

/** Longest ReserveBatch: its lines are held in one transaction. */
const MAX_BATCH_LINES = 500;

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
    checkLine({ orderId, sku, quantity });
    await this.beforeWrite();
    const outcome = await this.repository.reserve(orderId, sku, quantity);
    if ('refused' in outcome)
      throw outcome.refused === 'unknown_sku'
        ? unknownSku(sku)
        : outOfStock(sku, quantity);
    const { reservation } = outcome;
    // The order was released (its caller gave up) before this Reserve arrived: nothing is held.
    if (reservation.state === 'released') throw orderReleased(orderId);
    return reservation;
  }

  /**
   * Checks each line as it arrives (its sku looked up, once per sku, under the call's deadline), then
   * holds them all in one transaction once the caller ends the stream: all or nothing.
   */
  reserveBatch(
    requests: Observable<ReserveRequest>,
  ): Observable<ReserveBatchSummary> {
    const orderIds = new Set<string>();
    const knownSkus = new Set<string>();
    return requests.pipe(
      concatMap(async (line) => {
        checkLine(line);
        if (orderIds.size >= MAX_BATCH_LINES)
          throw new DomainError(
            GrpcStatus.INVALID_ARGUMENT,
            'invalid_argument',
            `a batch holds at most ${MAX_BATCH_LINES} lines`,
          );
        if (orderIds.has(line.orderId))
          throw new DomainError(
            GrpcStatus.INVALID_ARGUMENT,
            'invalid_argument',
            `order ${line.orderId.slice(0, 64)} appears twice in the batch`,
            'order_id',
          );
        orderIds.add(line.orderId);
        if (!knownSkus.has(line.sku)) {
          // Fails the batch early, before the caller sends the rest.
          if (!(await this.repository.stock(line.sku)))
            throw unknownSku(line.sku);
          knownSkus.add(line.sku);
        }
        return line;
      }),
      reduce<ReserveRequest, ReserveRequest[]>(
        (lines, line) => [...lines, line],
        [],
      ),
      concatMap((lines) => from(this.holdBatch(lines))),
    );
  }

  async release({ orderId }: OrderRef): Promise<Reservation> {
    return (await this.repository.release(orderId)) ?? NONE(orderId);
  }

  async commit({ orderId }: OrderRef): Promise<Reservation> {
    return (await this.repository.commit(orderId)) ?? NONE(orderId);
  }

  private async holdBatch(
    lines: readonly ReserveRequest[],
  ): Promise<ReserveBatchSummary> {
    await this.beforeWrite();
    const outcome = await this.repository.reserveBatch(lines);
    if ('reservations' in outcome) {
      const { reservations } = outcome;
      return {
        reservations: [...reservations],
        units: reservations.reduce((sum, r) => sum + r.quantity, 0),
        amountCents: reservations.reduce(
          (sum, r) => sum + r.quantity * r.unitPriceCents,
          0,
        ),
      };
    }
    if (outcome.refused === 'conflict')
      throw new DomainError(
        GrpcStatus.ABORTED,
        'reserve_conflict',
        'a Reserve or Release of one of the orders ran at the same time; nothing is held',
      );
    const { orderId, sku, quantity } = lines[outcome.line];
    throw outcome.refused === 'unknown_sku'
      ? unknownSku(sku)
      : outcome.refused === 'out_of_stock'
        ? outOfStock(sku, quantity)
        : orderReleased(orderId);
  }

  /** Simulated slow storage, then the last check before a write: a caller that has gone must not leave stock held. */
  private async beforeWrite(): Promise<void> {
    // Abandoned the moment our caller's deadline aborts, before any write.
    if (this.latencyMs > 0)
      await delay(this.latencyMs, currentDeadline()?.signal);
    currentDeadline()?.throwIfExpired();
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

const outOfStock = (sku: string, quantity: number): DomainError =>
  new DomainError(
    GrpcStatus.FAILED_PRECONDITION,
    'out_of_stock',
    `not enough ${sku.slice(0, 64)} in stock for ${quantity}`,
  );

const orderReleased = (orderId: string): DomainError =>
  new DomainError(
    GrpcStatus.FAILED_PRECONDITION,
    'order_released',
    `order ${orderId.slice(0, 64)} was released before this reserve arrived`,
  );

function checkLine({ orderId, quantity }: ReserveRequest): void {
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
}
