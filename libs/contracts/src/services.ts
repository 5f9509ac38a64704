import type { ProtoName } from './proto-files.js';

/** Where each downstream's contract lives: proto file, package, service. */
export interface ServiceContract {
  readonly proto: ProtoName;
  readonly package: string;
  readonly service: string;
}

export const AUTH: ServiceContract = {
  proto: 'auth',
  package: 'auth.v1',
  service: 'AuthService',
};
export const ORDER: ServiceContract = {
  proto: 'order',
  package: 'order.v1',
  service: 'OrderService',
};
export const INVENTORY: ServiceContract = {
  proto: 'inventory',
  package: 'inventory.v1',
  service: 'InventoryService',
};
export const PAYMENT: ServiceContract = {
  proto: 'payment',
  package: 'payment.v1',
  service: 'PaymentService',
};
export const HEALTH: ServiceContract = {
  proto: 'health',
  package: 'grpc.health.v1',
  service: 'Health',
};
