import type { Reservation, Stock } from '@lib/contracts';

export interface CatalogItem {
  readonly sku: string;
  readonly unitPriceCents: number;
}

/** Where inventory keeps its stock and reservations. Each operation is atomic. */
export abstract class InventoryRepository {
  abstract findItem(sku: string): Promise<CatalogItem | undefined>;
  abstract findReservation(orderId: string): Promise<Reservation | undefined>;
  /** Moves `quantity` from available to reserved; `undefined` when there is not enough. */
  abstract reserve(orderId: string, item: CatalogItem, quantity: number): Promise<Reservation | undefined>;
  /** Moves a reservation's units back to available (reserved → released). */
  abstract release(orderId: string): Promise<Reservation | undefined>;
  /** Moves a reservation's units to sold (reserved → committed). */
  abstract commit(orderId: string): Promise<Reservation | undefined>;
  abstract stock(sku: string): Promise<Stock | undefined>;
}

interface Shelf extends CatalogItem {
  available: number;
  reserved: number;
  sold: number;
}

/** The seeded catalogue: a cheap item, a mid one, and one pricey enough to be declined by payment. */
export const SEED_CATALOG: readonly CatalogItem[] = [
  { sku: 'espresso', unitPriceCents: 350 },
  { sku: 'latte', unitPriceCents: 450 },
  { sku: 'grinder', unitPriceCents: 129_900 },
];

/** In-process store; state lives as long as the process. */
export class InMemoryInventoryRepository extends InventoryRepository {
  private readonly shelves = new Map<string, Shelf>();
  private readonly reservations = new Map<string, Reservation>();

  constructor(catalog: readonly CatalogItem[], stockPerItem: number) {
    super();
    for (const item of catalog) this.shelves.set(item.sku, { ...item, available: stockPerItem, reserved: 0, sold: 0 });
  }

  async findItem(sku: string): Promise<CatalogItem | undefined> {
    const shelf = this.shelves.get(sku);
    return shelf && { sku: shelf.sku, unitPriceCents: shelf.unitPriceCents };
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    return this.reservations.get(orderId);
  }

  async reserve(orderId: string, item: CatalogItem, quantity: number): Promise<Reservation | undefined> {
    const existing = this.reservations.get(orderId);
    if (existing) return existing;
    const shelf = this.shelves.get(item.sku);
    if (!shelf || shelf.available < quantity) return undefined;
    shelf.available -= quantity;
    shelf.reserved += quantity;
    const reservation: Reservation = { orderId, sku: item.sku, quantity, state: 'reserved', unitPriceCents: item.unitPriceCents };
    this.reservations.set(orderId, reservation);
    return reservation;
  }

  async release(orderId: string): Promise<Reservation | undefined> {
    return this.settle(orderId, 'released');
  }

  async commit(orderId: string): Promise<Reservation | undefined> {
    return this.settle(orderId, 'committed');
  }

  async stock(sku: string): Promise<Stock | undefined> {
    const shelf = this.shelves.get(sku);
    return shelf && { sku, available: shelf.available, reserved: shelf.reserved, sold: shelf.sold };
  }

  private settle(orderId: string, state: 'released' | 'committed'): Reservation | undefined {
    const reservation = this.reservations.get(orderId);
    if (!reservation || reservation.state !== 'reserved') return reservation;
    const shelf = this.shelves.get(reservation.sku)!;
    shelf.reserved -= reservation.quantity;
    if (state === 'released') shelf.available += reservation.quantity;
    else shelf.sold += reservation.quantity;
    const settled: Reservation = { ...reservation, state };
    this.reservations.set(orderId, settled);
    return settled;
  }
}
