import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { PAYMENT } from '@lib/contracts';
import type { Charge, ChargeRequest, GetChargeRequest } from '@lib/contracts';
import { PaymentService } from './payment.service.js';

@Controller()
export class PaymentController {
  constructor(private readonly payment: PaymentService) {}

  @GrpcMethod(PAYMENT.service, 'Charge')
  charge(request: ChargeRequest): Promise<Charge> {
    return this.payment.charge(request);
  }

  @GrpcMethod(PAYMENT.service, 'GetCharge')
  getCharge(request: GetChargeRequest): Promise<Charge> {
    return this.payment.getCharge(request);
  }
}
