import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { currentDeadline, delay, DomainError, GrpcStatus } from '@lib/deadline';
import type { Charge, ChargeRequest, GetChargeRequest } from '@lib/contracts';
import type { PaymentEnv } from './payment.env.js';
import { PaymentRepository } from './payment.repository.js';

/** Charges orders exactly once: the order id is the idempotency key. */
@Injectable()
export class PaymentService {
  private readonly logger = new Logger(PaymentService.name);
  private readonly providerLatencyMs: number;
  private readonly declineAboveCents: number;
  /** Charges being captured right now, so a concurrent retry joins the first attempt. */
  private readonly inFlight = new Map<string, Promise<Charge>>();

  constructor(
    private readonly repository: PaymentRepository,
    config: ConfigService<PaymentEnv, true>,
  ) {
    this.providerLatencyMs = config.get('PAYMENT_PROVIDER_LATENCY_MS', {
      infer: true,
    });
    this.declineAboveCents = config.get('PAYMENT_DECLINE_ABOVE_CENTS', {
      infer: true,
    });
  }

  async charge(request: ChargeRequest): Promise<Charge> {
    if (!request.orderId)
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'order_id is required',
        'order_id',
      );
    if (
      !Number.isSafeInteger(request.amountCents) ||
      request.amountCents <= 0
    ) {
      throw new DomainError(
        GrpcStatus.INVALID_ARGUMENT,
        'invalid_argument',
        'amount_cents must be a positive integer',
        'amount_cents',
      );
    }
    // No look-up first: the provider's capture is keyed by the order id (its idempotency key) and the
    // charge is recorded with INSERT … ON CONFLICT, so a retried Charge gets the first one's record
    // in the one statement an order costs here.
    const pending = this.inFlight.get(request.orderId);
    if (pending) return pending;
    const attempt = this.capture(request).finally(() =>
      this.inFlight.delete(request.orderId),
    );
    this.inFlight.set(request.orderId, attempt);
    return attempt;
  }

  async getCharge({ orderId }: GetChargeRequest): Promise<Charge> {
    const charge = await this.repository.findByOrder(orderId);
    if (!charge)
      throw new DomainError(
        GrpcStatus.NOT_FOUND,
        'charge_not_found',
        `no charge for order ${orderId.slice(0, 64)}`,
      );
    return charge;
  }

  private async capture(request: ChargeRequest): Promise<Charge> {
    if (request.amountCents > this.declineAboveCents) {
      throw new DomainError(
        GrpcStatus.FAILED_PRECONDITION,
        'payment_declined',
        `card declined for ${request.amountCents} cents`,
      );
    }
    const deadline = currentDeadline();
    this.logger.log({
      msg: 'capturing',
      orderId: request.orderId,
      amountCents: request.amountCents,
      remainingMs: deadline && Math.round(deadline.remaining()),
    });
    // The card provider's round trip; abandoned the moment our caller's deadline aborts.
    if (this.providerLatencyMs > 0)
      await delay(this.providerLatencyMs, deadline?.signal);
    // Never capture for a caller that has gone: it will release the stock.
    deadline?.throwIfExpired();
    return this.repository.insertOnce({
      id: `ch_${randomUUID()}`,
      orderId: request.orderId,
      amountCents: request.amountCents,
      status: 'captured',
    });
  }
}
