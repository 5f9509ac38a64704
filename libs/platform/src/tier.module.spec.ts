import type { INestApplication } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  configureLostDeadlineGuard,
  GrpcPipelineInterceptor,
  HttpDeadlineInterceptor,
  lostDeadlineStrict,
} from '@lib/deadline';
import {
  DeadlineSpanInterceptor,
  TraceContextInterceptor,
} from '@lib/telemetry';
import { COMMON_ENV } from './common-env.js';
import { TierModule } from './tier.module.js';

/** The global interceptors in the order they wrap a handler, outermost first (Nest's ApplicationConfig). */
function interceptorOrder(app: INestApplication): string[] {
  const config = (app as unknown as { config: ApplicationConfig }).config;
  return config.getGlobalInterceptors().map((i) => i.constructor.name);
}

describe(TierModule.name, () => {
  it('runs a gRPC tier through one interceptor, its pipeline, even with fault injection on', async () => {
    vi.stubEnv('CHAOS_ENABLED', 'true');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TierModule.forRoot({
          service: 'order',
          inbound: 'grpc',
          env: COMMON_ENV,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      expect(interceptorOrder(app)).toEqual([GrpcPipelineInterceptor.name]);
    } finally {
      await app.close();
      vi.unstubAllEnvs();
    }
  });

  it.each([['http', HttpDeadlineInterceptor.name]] as const)(
    'wraps the %s deadline interceptor in the trace context and puts the span attributes inside it',
    async (inbound, deadlineInterceptor) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          TierModule.forRoot({ service: 'edge', inbound, env: COMMON_ENV }),
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      try {
        await app.init();
        const order = interceptorOrder(app);
        const at = (name: string): number => order.indexOf(name);
        expect(at(TraceContextInterceptor.name)).toBeGreaterThanOrEqual(0);
        // The trace context must be in place when the deadline (and its timer) starts…
        expect(at(TraceContextInterceptor.name)).toBeLessThan(
          at(deadlineInterceptor),
        );
        // …and the span interceptor reads the deadline's scope, so it must run inside it.
        expect(at(DeadlineSpanInterceptor.name)).toBeGreaterThan(
          at(deadlineInterceptor),
        );
      } finally {
        await app.close();
      }
    },
  );

  it.each([
    ['http', 'true', true],
    ['grpc', 'true', true],
    ['http', 'false', false],
  ] as const)(
    'sets the lost-deadline guard of a %s tier from DEADLINE_STRICT=%s',
    async (inbound, raw, strict) => {
      const saved = process.env.DEADLINE_STRICT;
      process.env.DEADLINE_STRICT = raw;
      configureLostDeadlineGuard({ strict: !strict });
      const moduleRef = await Test.createTestingModule({
        imports: [
          TierModule.forRoot({ service: 'edge', inbound, env: COMMON_ENV }),
        ],
      }).compile();
      try {
        expect(lostDeadlineStrict()).toBe(strict);
      } finally {
        await moduleRef.close();
        if (saved === undefined) delete process.env.DEADLINE_STRICT;
        else process.env.DEADLINE_STRICT = saved;
        configureLostDeadlineGuard({ strict: false });
      }
    },
  );
});
