import { Injectable } from '@nestjs/common';
import {
  currentScope,
  type DeadlineClient,
  type HopRecord,
  InjectGrpcClient,
  InjectGrpcStreams,
  observeStream,
  type SseEvent,
  type StreamClient,
} from '@lib/deadline';
import type {
  AuthService,
  HealthService,
  Order,
  OrderService,
  OrderStreams,
} from '@lib/contracts';
import { defer, map, type Observable, switchMap } from 'rxjs';
import { HealthDetails } from '@lib/platform';
import type { PlaceOrderBody } from './place-order.request.js';

export interface PlacedOrder {
  readonly order: Order;
  /** The deadline's journey: the budget this request ran with and every hop's record. */
  readonly deadline: {
    readonly budgetMs: number | null;
    readonly hops: readonly HopRecord[];
  };
}

export interface Readiness {
  readonly status: 'ok' | 'unavailable';
  readonly downstream: Record<string, string>;
  /** What the libraries report (breaker states, …), as on every tier's `GET /health`. */
  readonly details: Record<string, unknown>;
}

/** The edge's logic: who is calling, then hand the order to the order tier. */
@Injectable()
export class GatewayService {
  constructor(
    @InjectGrpcClient('auth')
    private readonly auth: DeadlineClient<AuthService>,
    @InjectGrpcClient('order')
    private readonly orders: DeadlineClient<OrderService>,
    @InjectGrpcStreams('order')
    private readonly orderStreams: StreamClient<OrderStreams>,
    @InjectGrpcClient('auth-health')
    private readonly authHealth: DeadlineClient<HealthService>,
    @InjectGrpcClient('order-health')
    private readonly orderHealth: DeadlineClient<HealthService>,
    private readonly details: HealthDetails,
  ) {}

  async placeOrder(
    token: string,
    { sku, quantity }: PlaceOrderBody,
  ): Promise<PlacedOrder> {
    const { subject } = await this.auth.verifyToken({ token });
    const order = await this.orders.placeOrder({
      customerId: subject,
      sku,
      quantity,
    });
    const scope = currentScope();
    return {
      order,
      deadline: {
        budgetMs: scope?.receivedBudgetMs ?? null,
        hops: scope?.hops('ok') ?? [],
      },
    };
  }

  /**
   * Who is calling, then the order tier's stream of the order's states, as `order` events. Everything
   * runs under the stream's deadline; unsubscribing (the client left) cancels the gRPC stream.
   */
  orderEvents(token: string, orderId: string): Observable<SseEvent> {
    return defer(() => this.auth.verifyToken({ token })).pipe(
      switchMap(({ subject }) =>
        observeStream((options) =>
          this.orderStreams.watchOrder(
            { orderId, customerId: subject },
            options,
          ),
        ),
      ),
      map((data) => ({ event: 'order', data })),
    );
  }

  /** Ready when the tiers it calls answer their standard health check. */
  async readiness(): Promise<Readiness> {
    const check = (client: DeadlineClient<HealthService>): Promise<string> =>
      client.check({ service: '' }).then(
        (reply) => reply.status,
        (error: unknown) =>
          `DOWN: ${error instanceof Error ? error.message : String(error)}`,
      );
    const [auth, order] = await Promise.all([
      check(this.authHealth),
      check(this.orderHealth),
    ]);
    return {
      status: auth === 'SERVING' && order === 'SERVING' ? 'ok' : 'unavailable',
      downstream: { auth, order },
      details: this.details.snapshot(),
    };
  }
}
