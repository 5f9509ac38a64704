import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TierModule } from '@lib/platform';
import { InventoryController } from './inventory.controller';
import { INVENTORY_ENV, type InventoryEnv } from './inventory.env';
import { InMemoryInventoryRepository, InventoryRepository, SEED_CATALOG } from './inventory.repository';
import { InventoryService } from './inventory.service';

@Module({
  imports: [
    TierModule.forRoot({ service: 'inventory', inbound: 'grpc', env: INVENTORY_ENV }),
  ],
  controllers: [InventoryController],
  providers: [
    InventoryService,
    {
      provide: InventoryRepository,
      inject: [ConfigService],
      useFactory: (config: ConfigService<InventoryEnv, true>) => new InMemoryInventoryRepository(SEED_CATALOG, config.get('INVENTORY_SEED_STOCK', { infer: true })),
    },
  ],
})
export class InventoryModule {}
