import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ORDER } from '@lib/contracts';
import type { Order, PlaceOrderRequest } from '@lib/contracts';
import { OrderService } from './order.service.js';

@Controller()
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @GrpcMethod(ORDER.service, 'PlaceOrder')
  placeOrder(request: PlaceOrderRequest): Promise<Order> {
    return this.orders.placeOrder(request);
  }
}
