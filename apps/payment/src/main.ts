import 'reflect-metadata';
import { PAYMENT } from '@lib/contracts';
import { parseEnv, startGrpcService } from '@lib/platform';
import { PAYMENT_ENV } from './payment.env';
import { PaymentModule } from './payment.module';

const env = parseEnv(PAYMENT_ENV);
void startGrpcService(PaymentModule, { name: 'payment', contract: PAYMENT, url: `${env.BIND_HOST}:${env.PAYMENT_GRPC_PORT}`, logFormat: env.LOG_FORMAT });
