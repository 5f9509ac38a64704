import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ORDER } from '@lib/contracts';
import type {
  Order,
  OrderEvent,
  PlaceOrderRequest,
  WatchOrderRequest,
} from '@lib/contracts';
import type { Observable } from 'rxjs';
import { OrderService } from './order.service.js';

@Controller()
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @GrpcMethod(ORDER.service, 'PlaceOrder')
  placeOrder(request: PlaceOrderRequest): Promise<Order> {
    return this.orders.placeOrder(request);
  }

  /** Server streaming: the whole stream runs under the caller's deadline (see libs/deadline). */
  @GrpcMethod(ORDER.service, 'WatchOrder')
  watchOrder(request: WatchOrderRequest): Observable<OrderEvent> {
    return this.orders.watchOrder(request);
  }
}
