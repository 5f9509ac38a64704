import 'reflect-metadata';
import { startTelemetry } from '@lib/telemetry';
// First, before anything loads grpc-js or starts an HTTP server: the instrumentations patch them as they load.
// A client's `baggage` is not taken at the edge, so it never reaches the tiers behind it.
startTelemetry({ service: 'gateway', baggage: 'drop' });
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { httpServerTimeouts } from '@lib/deadline';
import { parseEnv, TierLogger } from '@lib/platform';
import { budgetPolicyOf, GATEWAY_ENV } from './gateway.env.js';
import { GatewayModule } from './gateway.module.js';

async function bootstrap(): Promise<void> {
  const env = parseEnv(GATEWAY_ENV);
  const logger = new TierLogger({
    service: 'gateway',
    format: env.LOG_FORMAT,
    flushMs: env.LOG_FLUSH_MS,
  });
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, {
    logger,
    abortOnError: false,
    // The deadline interceptor reads the body itself, under the request's deadline and the body limits.
    bodyParser: false,
  });
  app.disable('x-powered-by');
  // A slow client (headers, body, an idle connection) holds a socket no longer than the largest budget.
  Object.assign(app.getHttpServer(), httpServerTimeouts(budgetPolicyOf(env)));
  app.enableShutdownHooks();
  await app.listen(env.GATEWAY_PORT, env.BIND_HOST);
  logger.log({ msg: 'listening', url: await app.getUrl(), protocol: 'http' });
  // Whoever starts the tier waits for that line: it goes out now, not with the next batch.
  void logger.flush();
}

void bootstrap();
