// The peer baseline of the overhead scenario: the same five-tier shape with bare grpc-js and
// node:http, no Nest and none of this project's libraries, with grpc-js's own deadline
// propagation (`parent` + `propagate_flags`). Same protos, same JWT check, in-memory stores.
//   PEER_ROLE=<edge|auth|order|inventory|payment> PEER_PORT=<port> PEER_LINKS=inventory=host:port,… node peer-tier.js
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { jwtVerify } from 'jose';
import {
  AUTH,
  INVENTORY,
  ORDER,
  PAYMENT,
  PROTO_LOADER_OPTIONS,
  protoPath,
  type ServiceContract,
} from '@lib/contracts';

type Callback = (
  error: Partial<grpc.ServiceError> | null,
  reply?: unknown,
) => void;
type Unary = (
  request: unknown,
  options: grpc.CallOptions,
  callback: Callback,
) => void;

const role = process.env.PEER_ROLE;
const port = Number(process.env.PEER_PORT);
const downstream = Object.fromEntries(
  (process.env.PEER_LINKS ?? '')
    .split(',')
    .filter(Boolean)
    .map((l) => l.split('=')),
) as Record<string, string>;
const secret = new TextEncoder().encode(
  process.env.AUTH_JWT_SECRET ?? 'deadline-relay-dev-secret-change-me-now',
);

function ctor(contract: ServiceContract): grpc.ServiceClientConstructor {
  const root = grpc.loadPackageDefinition(
    loadSync(protoPath(contract.proto), PROTO_LOADER_OPTIONS),
  ) as Record<string, unknown>;
  return contract.package
    .split('.')
    .reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      root,
    ) as grpc.ServiceClientConstructor &
    Record<string, grpc.ServiceClientConstructor>;
}

function client(contract: ServiceContract, url: string): Record<string, Unary> {
  const Client = (
    ctor(contract) as unknown as Record<string, grpc.ServiceClientConstructor>
  )[contract.service];
  return new Client(
    url,
    grpc.credentials.createInsecure(),
  ) as unknown as Record<string, Unary>;
}

function call(
  target: Record<string, Unary>,
  method: string,
  request: unknown,
  options: grpc.CallOptions,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    target[method].call(target, request, options, (error, reply) =>
      error
        ? reject(error as Error)
        : resolve(reply as Record<string, unknown>),
    ),
  );
}

/** A child call inherits the caller's deadline and cancellation: grpc-js's own propagation. */
const inherit = (
  parent: grpc.ServerUnaryCall<unknown, unknown>,
): grpc.CallOptions => ({ parent, propagate_flags: grpc.propagate.DEFAULTS });

function serve(
  contract: ServiceContract,
  handlers: Record<
    string,
    (call: grpc.ServerUnaryCall<unknown, unknown>) => Promise<unknown>
  >,
): void {
  const service = (
    ctor(contract) as unknown as Record<string, grpc.ServiceClientConstructor>
  )[contract.service].service;
  const server = new grpc.Server();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    implementation[name] = (
      callObject: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      handler(callObject).then(
        (reply) => callback(null, reply),
        (error: Partial<grpc.ServiceError>) =>
          callback({
            code: error.code ?? grpc.status.INTERNAL,
            details: error.details ?? error.message,
          }),
      );
    };
  }
  server.addService(service, implementation);
  server.bindAsync(
    `127.0.0.1:${port}`,
    grpc.ServerCredentials.createInsecure(),
    (error) => {
      if (error) throw error;
      process.stdout.write(
        `${JSON.stringify({ msg: 'listening', role, port })}\n`,
      );
    },
  );
}

/** A gRPC status answer. */
class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

const stock = new Map<string, number>([
  ['espresso', 1e9],
  ['latte', 1e9],
]);
const charges = new Map<string, unknown>();

switch (role) {
  case 'auth':
    serve(AUTH, {
      VerifyToken: async (c) => {
        const { payload } = await jwtVerify(
          (c.request as { token: string }).token,
          secret,
          { issuer: 'deadline-relay', audience: 'deadline-relay-api' },
        ).catch(() => {
          throw new StatusError(grpc.status.UNAUTHENTICATED, 'invalid token');
        });
        return { subject: payload.sub ?? '', expiresAt: payload.exp ?? 0 };
      },
    });
    break;
  case 'inventory':
    serve(INVENTORY, {
      Reserve: async (c) => {
        const { orderId, sku, quantity } = c.request as {
          orderId: string;
          sku: string;
          quantity: number;
        };
        const left = stock.get(sku);
        if (left === undefined || left < quantity)
          throw new StatusError(
            grpc.status.FAILED_PRECONDITION,
            'out of stock',
          );
        stock.set(sku, left - quantity);
        return {
          orderId,
          sku,
          quantity,
          state: 'reserved',
          unitPriceCents: 350,
        };
      },
      Commit: async (c) => ({
        orderId: (c.request as { orderId: string }).orderId,
        state: 'committed',
      }),
    });
    break;
  case 'payment':
    serve(PAYMENT, {
      Charge: async (c) => {
        const { orderId, amountCents } = c.request as {
          orderId: string;
          amountCents: number;
        };
        const charge = charges.get(orderId) ?? {
          id: randomUUID(),
          orderId,
          amountCents,
          status: 'captured',
        };
        charges.set(orderId, charge);
        return charge;
      },
    });
    break;
  case 'order': {
    const inventory = client(INVENTORY, downstream.inventory);
    const payment = client(PAYMENT, downstream.payment);
    serve(ORDER, {
      PlaceOrder: async (c) => {
        const { customerId, sku, quantity } = c.request as {
          customerId: string;
          sku: string;
          quantity: number;
        };
        const id = randomUUID();
        const reservation = await call(
          inventory,
          'reserve',
          { orderId: id, sku, quantity },
          inherit(c),
        );
        const charge = await call(
          payment,
          'charge',
          {
            orderId: id,
            customerId,
            amountCents: Number(reservation.unitPriceCents) * quantity,
          },
          inherit(c),
        );
        // Follow-up under its own deadline, as the real order tier does.
        void call(
          inventory,
          'commit',
          { orderId: id },
          { deadline: Date.now() + 1_000 },
        ).catch(() => undefined);
        return {
          id,
          status: 'confirmed',
          sku,
          quantity,
          amountCents: charge.amountCents,
          chargeId: charge.id,
        };
      },
    });
    break;
  }
  case 'edge': {
    const auth = client(AUTH, downstream.auth);
    const order = client(ORDER, downstream.order);
    const answer = (
      response: ServerResponse,
      status: number,
      body: unknown,
    ): void => {
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify(body));
    };
    const handle = async (
      request: IncomingMessage,
      response: ServerResponse,
    ): Promise<void> => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const deadline =
        Date.now() + (Number(request.headers['x-request-timeout']) || 5_000);
      const token = (request.headers.authorization ?? '').replace(
        /^Bearer /,
        '',
      );
      try {
        const { sku, quantity } = JSON.parse(
          Buffer.concat(chunks).toString('utf8'),
        ) as { sku: string; quantity: number };
        const who = await call(auth, 'verifyToken', { token }, { deadline });
        answer(
          response,
          201,
          await call(
            order,
            'placeOrder',
            { customerId: who.subject, sku, quantity },
            { deadline },
          ),
        );
      } catch (error) {
        const code = (error as { code?: number }).code;
        answer(
          response,
          code === grpc.status.DEADLINE_EXCEEDED
            ? 504
            : code === grpc.status.UNAUTHENTICATED
              ? 401
              : 500,
          { message: (error as Error).message },
        );
      }
    };
    createServer((request, response) => void handle(request, response)).listen(
      port,
      '127.0.0.1',
      () =>
        process.stdout.write(
          `${JSON.stringify({ msg: 'listening', role, port })}\n`,
        ),
    );
    break;
  }
  default:
    process.stderr.write(`unknown role ${role}\n`);
    process.exit(2);
}
