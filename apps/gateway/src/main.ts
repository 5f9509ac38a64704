import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
// A client's `baggage` is not taken at the edge, so it never reaches the tiers behind it.
startTelemetry({ service: 'gateway', baggage: 'drop' });
import { NestFactory } from '@nestjs/core';
import { JsonLogger, parseEnv } from '@lib/platform';
import { GATEWAY_ENV } from './gateway.env.js';
import { GatewayModule } from './gateway.module.js';

async function bootstrap(): Promise<void> {
  const env = parseEnv(GATEWAY_ENV);
  const logger = new JsonLogger('gateway', env.LOG_FORMAT);
  const app = await NestFactory.create(GatewayModule, {
    logger,
    abortOnError: false,
  });
  app.enableShutdownHooks();
  await app.listen(env.GATEWAY_PORT, env.BIND_HOST);
  logger.log({ msg: 'listening', url: await app.getUrl(), protocol: 'http' });
}

void bootstrap();
