import type { DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { currentDeadline, DeadlineGrpcClientModule } from '@lib/deadline';
import { deadlineTracing } from '@lib/telemetry';
import { PROTO_LOADER_OPTIONS, protoPath, type ServiceContract } from '@lib/contracts';

/**
 * Registers a deadline-aware client for one downstream tier: its URL from the env variable
 * `urlEnv`, the reserve from `DEADLINE_RESERVE_MS`. Inject it with `@InjectGrpcClient(name)`.
 */
export function downstream(name: string, contract: ServiceContract, urlEnv: string): DynamicModule {
  return DeadlineGrpcClientModule.registerAsync({
    name,
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      url: config.getOrThrow<string>(urlEnv),
      protoPath: protoPath(contract.proto),
      package: contract.package,
      service: contract.service,
      loader: PROTO_LOADER_OPTIONS,
      reserveMs: config.getOrThrow<number>('DEADLINE_RESERVE_MS'),
      // Outermost: counts calls with no deadline in scope and puts the budget on the client span.
      middleware: [deadlineTracing({ remainingMs: () => currentDeadline()?.remaining(), reserveMs: config.getOrThrow<number>('DEADLINE_RESERVE_MS') })],
    }),
  });
}
