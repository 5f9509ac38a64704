// The plain-NestJS SQL peer of the overhead scenario: the five tiers as Nest 12 apps the way the Nest
// docs build them — the gateway on @nestjs/platform-express, the others @nestjs/microservices gRPC
// servers on the repository's protos — issuing the same SQL as ours with `pg`, and none of this
// repository's libraries but @lib/contracts for the proto paths. The deadline rides grpc-js's
// `deadline` call option (`grpc-timeout` on the wire).
//   PEER_ROLE=<gateway|auth|order|inventory|payment> PEER_PORT=<port> DATABASE_URL=postgres://… node nest-sql-tier.js
//   (gateway: PEER_AUTH_URL, PEER_ORDER_URL; order: PEER_INVENTORY_URL, PEER_PAYMENT_URL)
import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import {
  AUTH,
  INVENTORY,
  ORDER,
  PAYMENT,
  type ServiceContract,
} from '@lib/contracts';
import { NestSqlAuthModule } from './nest-sql-auth.js';
import { announceListening, grpcTransport } from './nest-sql-common.js';
import { NestSqlGatewayModule } from './nest-sql-gateway.js';
import { NestSqlInventoryModule } from './nest-sql-inventory.js';
import { NestSqlOrderModule } from './nest-sql-order.js';
import { NestSqlPaymentModule } from './nest-sql-payment.js';

const GRPC_ROLES: Record<string, [ServiceContract, Type]> = {
  auth: [AUTH, NestSqlAuthModule],
  inventory: [INVENTORY, NestSqlInventoryModule],
  payment: [PAYMENT, NestSqlPaymentModule],
  order: [ORDER, NestSqlOrderModule],
};

async function bootstrap(): Promise<void> {
  const role = process.env.PEER_ROLE ?? '';
  const port = Number(process.env.PEER_PORT);
  // Nest's console logger, errors and warnings only: the peer logs nothing per request.
  const logger = ['error', 'warn'] as const;
  if (role === 'gateway') {
    const app = await NestFactory.create(NestSqlGatewayModule, {
      logger: [...logger],
    });
    await app.listen(port, '127.0.0.1');
  } else if (GRPC_ROLES[role]) {
    const [contract, module] = GRPC_ROLES[role];
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(
      module,
      { ...grpcTransport(contract, `127.0.0.1:${port}`), logger: [...logger] },
    );
    await app.listen();
  } else {
    process.stderr.write(`unknown PEER_ROLE ${role}\n`);
    process.exit(2);
  }
  announceListening(role, port);
}

void bootstrap();
