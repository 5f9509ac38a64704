import { type Metadata } from '@grpc/grpc-js';

/**
 * Metadata key that carries a call's route token from the caller to the `deadline_p2c` picker.
 * The picker removes it from the metadata it is given, which is the copy grpc-js then sends, so
 * it never reaches the wire (grpc-js hands each pick a clone of the call's metadata and sends
 * that clone; a re-pick clones the original again and finds the token again).
 */
export const REPLICA_ROUTE_METADATA_KEY = 'x-replica-route';

/** What the caller asked of one call's pick, and what the picker did. */
export class ReplicaRoute {
  /** Address the call was last sent to (set when the call starts on a replica). */
  picked: string | undefined;

  constructor(
    readonly token: string,
    public avoid: ReadonlySet<string>,
  ) {}
}

/** The caller's side: its Metadata object → its route. Dies with the Metadata. */
const byMetadata = new WeakMap<Metadata, ReplicaRoute>();
/** The picker's side: token → route, held weakly so a forgotten call leaks nothing. */
const byToken = new Map<string, WeakRef<ReplicaRoute>>();
const forget = new FinalizationRegistry<string>((token) => {
  if (byToken.get(token)?.deref() === undefined) byToken.delete(token);
});
let nextToken = 0;

/**
 * Marks a call for the `deadline_p2c` balancer: its pick leaves out `addresses` (while any other
 * ready replica is there) and records which replica it used, for {@link pickedReplica}. Call it
 * on the Metadata you pass to the call, once per attempt (a hedge or retry gets its own
 * Metadata, or the later attempt overwrites what the earlier one recorded); calling it again on
 * the same Metadata replaces the set. With no addresses it only records the pick. Nothing extra
 * is sent: the token is taken out of the metadata before the call goes out.
 */
export function avoidReplicas(
  metadata: Metadata,
  addresses: Iterable<string> = [],
): void {
  const avoid = new Set(addresses);
  const existing = byMetadata.get(metadata);
  if (existing) {
    existing.avoid = avoid;
    existing.picked = undefined;
    metadata.set(REPLICA_ROUTE_METADATA_KEY, existing.token);
    return;
  }
  const token = (nextToken++).toString(36);
  const route = new ReplicaRoute(token, avoid);
  byMetadata.set(metadata, route);
  byToken.set(token, new WeakRef(route));
  forget.register(route, token);
  metadata.set(REPLICA_ROUTE_METADATA_KEY, token);
}

/**
 * The replica (its `host:port`) the call made with this Metadata was sent to; undefined when the
 * Metadata was not marked with {@link avoidReplicas}, before the call started on a replica, or
 * when the channel does not use `deadline_p2c`.
 */
export function pickedReplica(metadata: Metadata): string | undefined {
  return byMetadata.get(metadata)?.picked;
}

/** For the picker: the call's route, if it has one, with its token taken out of `metadata`. */
export function takeReplicaRoute(metadata: Metadata): ReplicaRoute | undefined {
  const values = metadata.get(REPLICA_ROUTE_METADATA_KEY);
  if (values.length === 0) return undefined;
  metadata.remove(REPLICA_ROUTE_METADATA_KEY);
  return typeof values[0] === 'string'
    ? byToken.get(values[0])?.deref()
    : undefined;
}
