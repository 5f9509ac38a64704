import { hostname } from 'node:os';
import { MAX_REPLICA_LENGTH } from '@lib/deadline';

/** What `REPLICA_ID` may be: printable ASCII without spaces, as long as a hop record keeps. */
export const REPLICA_ID_PATTERN = new RegExp(
  `^[\\x21-\\x7e]{0,${MAX_REPLICA_LENGTH}}$`,
);

/**
 * The name this process gives itself in its hop records: `REPLICA_ID` when set, else
 * `<hostname>:<port>` — the port it serves on, so replicas on one host differ, and in Kubernetes
 * the hostname is the pod's name. A process on an OS-chosen port (0) uses its PID instead.
 */
export function replicaName(
  replicaId: string,
  port: number | undefined,
  host: string = hostname(),
): string {
  const name =
    replicaId.trim() ||
    (port ? `${host}:${port}` : `${host}:pid-${process.pid}`);
  return name.slice(0, MAX_REPLICA_LENGTH);
}
