import type { Order } from '@lib/contracts';

/** Where the order tier keeps confirmed orders. */
export abstract class OrderRepository {
  abstract save(order: Order): Promise<void>;
  abstract find(id: string): Promise<Order | undefined>;
}

export class InMemoryOrderRepository extends OrderRepository {
  private readonly orders = new Map<string, Order>();

  async save(order: Order): Promise<void> {
    this.orders.set(order.id, order);
  }

  async find(id: string): Promise<Order | undefined> {
    return this.orders.get(id);
  }
}
