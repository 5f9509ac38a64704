import 'reflect-metadata';
import { AUTH } from '@lib/contracts';
import { parseEnv, startGrpcService } from '@lib/platform';
import { AUTH_ENV } from './auth.env';
import { AuthModule } from './auth.module';

const env = parseEnv(AUTH_ENV);
void startGrpcService(AuthModule, { name: 'auth', contract: AUTH, url: `${env.BIND_HOST}:${env.AUTH_GRPC_PORT}`, logFormat: env.LOG_FORMAT });
