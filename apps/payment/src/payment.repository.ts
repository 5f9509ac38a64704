import type { Charge } from '@lib/contracts';

/** Where payment keeps its charges, keyed by order id (the idempotency key). */
export abstract class PaymentRepository {
  abstract findByOrder(orderId: string): Promise<Charge | undefined>;
  /** Stores the charge unless one exists for the order; returns whichever is stored. */
  abstract insertOnce(charge: Charge): Promise<Charge>;
}

export class InMemoryPaymentRepository extends PaymentRepository {
  private readonly charges = new Map<string, Charge>();

  async findByOrder(orderId: string): Promise<Charge | undefined> {
    return this.charges.get(orderId);
  }

  async insertOnce(charge: Charge): Promise<Charge> {
    const existing = this.charges.get(charge.orderId);
    if (existing) return existing;
    this.charges.set(charge.orderId, charge);
    return charge;
  }
}
