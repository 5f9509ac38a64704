import { Module } from '@nestjs/common';
import { INVENTORY, PAYMENT } from '@lib/contracts';
import { downstream, TierModule } from '@lib/platform';
import { OrderController } from './order.controller';
import { ORDER_ENV } from './order.env';
import { InMemoryOrderRepository, OrderRepository } from './order.repository';
import { OrderService } from './order.service';

@Module({
  imports: [
    TierModule.forRoot({ service: 'order', inbound: 'grpc', env: ORDER_ENV }),
    downstream('inventory', INVENTORY, 'INVENTORY_GRPC_URL'),
    downstream('payment', PAYMENT, 'PAYMENT_GRPC_URL'),
  ],
  controllers: [OrderController],
  providers: [OrderService, { provide: OrderRepository, useClass: InMemoryOrderRepository }],
})
export class OrderModule {}
