import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DownstreamError, GrpcStatus } from '@lib/deadline';
import { BreakerRegistry } from '../core/breaker-registry.js';
import { ResilienceModule } from './resilience.module.js';

describe(ResilienceModule.name, () => {
  it('provides one registry with per-downstream settings over the defaults, and logs state changes with the downstream and the reason', async () => {
    const warn = vi
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation(() => undefined);
    const app = await Test.createTestingModule({
      imports: [
        ResilienceModule.forRoot({
          defaults: { minimumCalls: 50 },
          downstreams: { inventory: { minimumCalls: 1 } },
        }),
      ],
    }).compile();
    const registry = app.get(BreakerRegistry);
    const fail = (): Promise<never> =>
      Promise.reject(
        new DownstreamError(
          GrpcStatus.UNAVAILABLE,
          undefined,
          'unavailable',
          'inventory',
          'Reserve',
        ),
      );
    await registry
      .get('inventory')
      .execute({ method: 'Reserve', budgetMs: 1_000 }, fail)
      .catch(() => undefined);
    await registry
      .get('payment')
      .execute({ method: 'Charge', budgetMs: 1_000 }, fail)
      .catch(() => undefined);
    expect(registry.snapshot()).toMatchObject({
      inventory: { state: 'open' },
      payment: { state: 'closed', failures: 1 },
    });
    expect(warn).toHaveBeenCalledWith({
      msg: 'breaker state changed',
      downstream: 'inventory',
      from: 'closed',
      to: 'open',
      reason: 'thresholds crossed (1 of 1 calls failed, 0 slow)',
      calls: 1,
      failures: 1,
      slow: 0,
    });
    await app.close();
    warn.mockRestore();
  });
});
