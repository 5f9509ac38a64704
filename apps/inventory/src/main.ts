import 'reflect-metadata';
import { INVENTORY } from '@lib/contracts';
import { parseEnv, startGrpcService } from '@lib/platform';
import { INVENTORY_ENV } from './inventory.env';
import { InventoryModule } from './inventory.module';

const env = parseEnv(INVENTORY_ENV);
void startGrpcService(InventoryModule, { name: 'inventory', contract: INVENTORY, url: `${env.BIND_HOST}:${env.INVENTORY_GRPC_PORT}`, logFormat: env.LOG_FORMAT });
