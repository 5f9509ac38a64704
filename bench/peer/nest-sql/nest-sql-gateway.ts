import {
  Body,
  Controller,
  Headers,
  HttpException,
  Inject,
  Module,
  type OnModuleInit,
  Post,
} from '@nestjs/common';
import { type ClientGrpc, ClientsModule } from '@nestjs/microservices';
import { Metadata, status } from '@grpc/grpc-js';
import { lastValueFrom, type Observable } from 'rxjs';
import { AUTH, ORDER } from '@lib/contracts';
import { grpcTransport } from './nest-sql-common.js';

type Rpc<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
) => Observable<Res>;

interface AuthRpc {
  verifyToken: Rpc<{ token: string }, { subject: string }>;
}
interface OrderRpc {
  placeOrder: Rpc<
    { customerId: string; sku: string; quantity: number },
    Record<string, unknown>
  >;
}

/** gRPC status → HTTP, as the gateway maps the codes a successful run can meet. */
const HTTP_OF: Partial<Record<number, number>> = {
  [status.DEADLINE_EXCEEDED]: 504,
  [status.CANCELLED]: 499,
  [status.UNAVAILABLE]: 503,
  [status.UNAUTHENTICATED]: 401,
  [status.INVALID_ARGUMENT]: 400,
  [status.NOT_FOUND]: 404,
  [status.FAILED_PRECONDITION]: 409,
};

/** POST /orders: the budget from `X-Request-Timeout` (5 s without it) as the calls' deadline. */
@Controller()
class OrdersController implements OnModuleInit {
  private auth!: AuthRpc;
  private order!: OrderRpc;

  constructor(
    @Inject('AUTH') private readonly authClient: ClientGrpc,
    @Inject('ORDER') private readonly orderClient: ClientGrpc,
  ) {}

  onModuleInit(): void {
    this.auth = this.authClient.getService<AuthRpc>(AUTH.service);
    this.order = this.orderClient.getService<OrderRpc>(ORDER.service);
  }

  @Post('orders')
  async place(
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-request-timeout') timeout: string | undefined,
    @Body() body: { sku: string; quantity: number },
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + (Number(timeout) || 5_000);
    try {
      const who = await lastValueFrom(
        this.auth.verifyToken(
          { token: (authorization ?? '').replace(/^Bearer /, '') },
          new Metadata(),
          { deadline },
        ),
      );
      return await lastValueFrom(
        this.order.placeOrder(
          { customerId: who.subject, sku: body.sku, quantity: body.quantity },
          new Metadata(),
          { deadline },
        ),
      );
    } catch (error) {
      const { code, details } = error as { code?: number; details?: string };
      throw new HttpException(
        { message: details ?? String(error) },
        HTTP_OF[code ?? -1] ?? 500,
      );
    }
  }
}

@Module({
  imports: [
    ClientsModule.register([
      { name: 'AUTH', ...grpcTransport(AUTH, process.env.PEER_AUTH_URL ?? '') },
      {
        name: 'ORDER',
        ...grpcTransport(ORDER, process.env.PEER_ORDER_URL ?? ''),
      },
    ]),
  ],
  controllers: [OrdersController],
})
export class NestSqlGatewayModule {}
