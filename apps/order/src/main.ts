import 'reflect-metadata';
import { ORDER } from '@lib/contracts';
import { parseEnv, startGrpcService } from '@lib/platform';
import { ORDER_ENV } from './order.env';
import { OrderModule } from './order.module';

const env = parseEnv(ORDER_ENV);
void startGrpcService(OrderModule, { name: 'order', contract: ORDER, url: `${env.BIND_HOST}:${env.ORDER_GRPC_PORT}`, logFormat: env.LOG_FORMAT });
