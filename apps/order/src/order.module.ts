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
    // Idempotent (keyed by order id), so a breaker-guarded retry may repeat them within the budget.
    downstream('inventory', INVENTORY, 'INVENTORY_GRPC_URL', { idempotentMethods: ['Release', 'Commit', 'GetStock'] }),
    downstream('payment', PAYMENT, 'PAYMENT_GRPC_URL', { idempotentMethods: ['Charge', 'GetCharge'] }),
  ],
  controllers: [OrderController],
  providers: [OrderService, { provide: OrderRepository, useClass: InMemoryOrderRepository }],
})
export class OrderModule {}
