// What the tiers of the plain-Nest SQL peer share: gRPC transport options, the pool, the deadline of a call.
import type { Deadline, ServerUnaryCall } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { Pool } from 'pg';
import {
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';

/** A gRPC server's or client's options for one of the repository's protos. */
export function grpcTransport(
  contract: ServiceContract,
  url: string,
): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: contract.package,
      protoPath: protoPath(contract.proto),
      url,
      loader: PROTO_LOADER_OPTIONS,
    },
  };
}

/** node-postgres as it comes: `DATABASE_URL`, `DATABASE_POOL_SIZE` connections (10, the tiers' default). */
export function pgPool(): Pool {
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  });
  pool.on('error', () => undefined);
  return pool;
}

/** The incoming call's deadline in ms since the epoch (`Infinity` when the caller set none). */
export function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline: Deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** What is left of a deadline, whole ms, 0 when none or past (how long a row is held). */
export const remainingMs = (deadlineMs: number): number =>
  Number.isFinite(deadlineMs)
    ? Math.max(0, Math.ceil(deadlineMs - Date.now()))
    : 0;

/** The line the harness waits for before it starts the next tier. */
export function announceListening(role: string, port: number): void {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', role, port })}\n`);
}
