import { Module } from '@nestjs/common';
import { TierModule } from '@lib/platform';
import { PaymentController } from './payment.controller';
import { PAYMENT_ENV } from './payment.env';
import { InMemoryPaymentRepository, PaymentRepository } from './payment.repository';
import { PaymentService } from './payment.service';

@Module({
  imports: [TierModule.forRoot({ service: 'payment', inbound: 'grpc', env: PAYMENT_ENV })],
  controllers: [PaymentController],
  providers: [PaymentService, { provide: PaymentRepository, useClass: InMemoryPaymentRepository }],
})
export class PaymentModule {}
