// TypeScript shapes of proto/*.proto as @grpc/proto-loader delivers them (camelCase, longs as numbers).

export interface VerifyTokenRequest {
  token: string;
}
export interface VerifyTokenReply {
  subject: string;
  expiresAt: number;
}
export interface AuthService {
  verifyToken(request: VerifyTokenRequest): Promise<VerifyTokenReply>;
}

export interface PlaceOrderRequest {
  customerId: string;
  sku: string;
  quantity: number;
}
export interface Order {
  id: string;
  status: string;
  sku: string;
  quantity: number;
  amountCents: number;
  chargeId: string;
}
export interface OrderService {
  placeOrder(request: PlaceOrderRequest): Promise<Order>;
}
export interface WatchOrderRequest {
  orderId: string;
  customerId: string;
}
export interface OrderEvent {
  orderId: string;
  status: string;
  settled: boolean;
  amountCents: number;
  chargeId: string;
}
/** order.v1.OrderService's streaming methods. */
export interface OrderStreams {
  watchOrder(request: WatchOrderRequest): AsyncIterable<OrderEvent>;
}

export interface ReserveRequest {
  orderId: string;
  sku: string;
  quantity: number;
}
export interface OrderRef {
  orderId: string;
}
export type ReservationState = 'reserved' | 'released' | 'committed' | 'none';
export interface Reservation {
  orderId: string;
  sku: string;
  quantity: number;
  state: ReservationState;
  unitPriceCents: number;
}
export interface ReserveBatchSummary {
  reservations: Reservation[];
  units: number;
  amountCents: number;
}
/** inventory.v1.InventoryService's streaming methods. */
export interface InventoryStreams {
  reserveBatch(
    requests: AsyncIterable<ReserveRequest>,
  ): Promise<ReserveBatchSummary>;
}
export interface GetStockRequest {
  sku: string;
}
export interface Stock {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}
export interface InventoryService {
  reserve(request: ReserveRequest): Promise<Reservation>;
  release(request: OrderRef): Promise<Reservation>;
  commit(request: OrderRef): Promise<Reservation>;
  getStock(request: GetStockRequest): Promise<Stock>;
}

export interface ChargeRequest {
  orderId: string;
  customerId: string;
  amountCents: number;
}
export interface GetChargeRequest {
  orderId: string;
}
export interface Charge {
  id: string;
  orderId: string;
  amountCents: number;
  status: string;
}
export interface PaymentService {
  charge(request: ChargeRequest): Promise<Charge>;
  getCharge(request: GetChargeRequest): Promise<Charge>;
}

export type ServingStatus =
  'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}
export interface HealthService {
  check(request: HealthCheckRequest): Promise<HealthCheckResponse>;
}
