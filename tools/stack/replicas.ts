/** The tiers that may run as several processes: every gRPC tier (the gateway is the edge: one). */
export const REPLICABLE_TIERS = [
  'auth',
  'inventory',
  'payment',
  'order',
] as const;
export type ReplicableTier = (typeof REPLICABLE_TIERS)[number];

/** How many processes of each gRPC tier a stack runs; a tier left out runs one. */
export type Replicas = Readonly<Partial<Record<ReplicableTier, number>>>;

/** Most processes of one tier: replica `i` of a tier listens on its documented port + 10·i, so ten would reach the next tier's. */
export const MAX_REPLICAS = 9;
/** Replica `i` (from 0) of a tier uses the tier's documented gRPC and admin ports + `i` × this. */
export const REPLICA_PORT_STEP = 10;

/** Where one process of a gRPC tier listens. */
export interface ReplicaPorts {
  readonly grpc: number;
  readonly admin: number;
}

/** The documented ports of a tier's `count` replicas: its own, then + 10 each (50053, 50063, 50073). */
export function documentedReplicaPorts(
  first: ReplicaPorts,
  count: number,
): ReplicaPorts[] {
  return Array.from({ length: count }, (_, i) => ({
    grpc: first.grpc + i * REPLICA_PORT_STEP,
    admin: first.admin + i * REPLICA_PORT_STEP,
  }));
}

/** A problem with a replica count, worded for whoever wrote it. */
export function replicasProblem(replicas: Replicas): string | undefined {
  for (const [tier, count] of Object.entries(replicas)) {
    if (!(REPLICABLE_TIERS as readonly string[]).includes(tier))
      return `"${tier}" cannot run as several replicas: one of ${REPLICABLE_TIERS.join(', ')}`;
    if (!Number.isInteger(count) || count < 1 || count > MAX_REPLICAS)
      return `${tier}: ${String(count)} replicas, want a whole number from 1 to ${MAX_REPLICAS}`;
  }
  return undefined;
}

/**
 * Reads `STACK_REPLICAS` (`npm run stack`): comma-separated `<tier>=<count>`, e.g. `inventory=3` or
 * `inventory=3,auth=2`; empty = one of each. Returns the counts, or a problem naming the variable.
 */
export function parseReplicas(
  raw: string,
  variable = 'STACK_REPLICAS',
): Replicas | string {
  const replicas: Partial<Record<ReplicableTier, number>> = {};
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const match = /^([a-z]+)\s*=\s*(\d{1,3})$/.exec(part);
    if (!match)
      return `${variable}: "${part}" is not <tier>=<count> (e.g. inventory=3)`;
    const [, tier, count] = match;
    if (tier in replicas) return `${variable}: ${tier} is given twice`;
    const problem = replicasProblem({ [tier]: Number(count) });
    if (problem) return `${variable}: ${problem}`;
    replicas[tier as ReplicableTier] = Number(count);
  }
  return replicas;
}
