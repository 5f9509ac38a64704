import {
  documentedReplicaPorts,
  parseReplicas,
  replicasProblem,
} from './replicas.js';

describe(parseReplicas.name, () => {
  it.each([
    ['', {}],
    ['inventory=3', { inventory: 3 }],
    [' inventory = 3 , auth=2 ', { inventory: 3, auth: 2 }],
    ['payment=1', { payment: 1 }],
  ])('reads %j', (raw, expected) => {
    expect(parseReplicas(raw)).toEqual(expected);
  });

  it.each([
    ['inventory', /"inventory" is not <tier>=<count>/],
    ['inventory=three', /"inventory=three" is not <tier>=<count>/],
    ['inventory=-1', /is not <tier>=<count>/],
    [
      'gateway=2',
      /"gateway" cannot run as several replicas: one of auth, inventory, payment, order/,
    ],
    ['shipping=2', /"shipping" cannot run as several replicas/],
    ['inventory=0', /inventory: 0 replicas, want a whole number from 1 to 9/],
    ['inventory=10', /inventory: 10 replicas/],
    ['inventory=2,inventory=3', /inventory is given twice/],
  ])('refuses %j, naming the variable', (raw, problem) => {
    const parsed = parseReplicas(raw);
    expect(parsed).toEqual(expect.stringMatching(/^STACK_REPLICAS: /));
    expect(parsed).toEqual(expect.stringMatching(problem));
  });
});

describe(replicasProblem.name, () => {
  it('accepts counts from 1 to 9 of the gRPC tiers', () => {
    expect(replicasProblem({ inventory: 9, auth: 1 })).toBeUndefined();
  });

  it('refuses a count that is not a whole number', () => {
    expect(replicasProblem({ inventory: 2.5 })).toMatch(/2.5 replicas/);
  });
});

describe(documentedReplicaPorts.name, () => {
  it('puts replica i on the tier’s documented gRPC and admin ports + 10·i', () => {
    expect(documentedReplicaPorts({ grpc: 50053, admin: 8083 }, 3)).toEqual([
      { grpc: 50053, admin: 8083 },
      { grpc: 50063, admin: 8093 },
      { grpc: 50073, admin: 8103 },
    ]);
  });

  it('never reaches another tier’s documented ports, up to the most replicas', () => {
    const documented = [
      3000, 50051, 50052, 50053, 50054, 8081, 8082, 8083, 8084,
    ];
    const tiers = [
      { grpc: 50051, admin: 8081 },
      { grpc: 50052, admin: 8082 },
      { grpc: 50053, admin: 8083 },
      { grpc: 50054, admin: 8084 },
    ];
    const all = tiers.flatMap((first) =>
      documentedReplicaPorts(first, 9).flatMap((r) => [r.grpc, r.admin]),
    );
    expect(new Set(all).size).toBe(all.length);
    for (const first of tiers)
      for (const r of documentedReplicaPorts(first, 9).slice(1)) {
        expect(documented).not.toContain(r.grpc);
        expect(documented).not.toContain(r.admin);
      }
  });
});
