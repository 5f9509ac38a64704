import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { parseEnv, TierLogger } from '@lib/platform';
import { ADMISSION_ENV } from './admission.env.js';
import { AdmissionModule } from './admission.module.js';

async function bootstrap(): Promise<void> {
  const env = parseEnv(ADMISSION_ENV);
  const logger = new TierLogger({
    service: 'admission',
    format: env.LOG_FORMAT,
  });
  let tls: { key: Buffer; cert: Buffer };
  try {
    tls = {
      key: readFileSync(env.ADMISSION_TLS_KEY_FILE),
      cert: readFileSync(env.ADMISSION_TLS_CERT_FILE),
    };
  } catch (error) {
    // Kubernetes only calls webhooks over TLS: without a certificate there is nothing to serve.
    logger.fatal({
      msg: 'cannot read the TLS certificate or key',
      error: (error as Error).message,
      cert: env.ADMISSION_TLS_CERT_FILE,
      key: env.ADMISSION_TLS_KEY_FILE,
    });
    await logger.flush();
    process.exit(1);
  }
  const app = await NestFactory.create(
    AdmissionModule.forRoot({
      maxBudgetMs: env.ADMISSION_MAX_BUDGET_MS,
      defaultBudgetMs: env.ADMISSION_DEFAULT_BUDGET_MS,
      defaultReserveMs: env.ADMISSION_DEFAULT_RESERVE_MS,
    }),
    { logger, abortOnError: false, bodyParser: false, httpsOptions: tls },
  );
  app.enableShutdownHooks();
  await app.listen(env.ADMISSION_PORT, env.BIND_HOST);
  logger.log({ msg: 'listening', url: await app.getUrl(), protocol: 'https' });
}

void bootstrap();
