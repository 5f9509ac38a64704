/** One replica of a downstream as a tier's `GET /health` shows it (`details.replicas.<name>`). */
export interface ReplicaHealth {
  readonly address: string;
  readonly state: string;
  readonly ewmaMs: number;
  readonly inFlight: number;
  readonly picks: number;
  readonly ejected: boolean;
}

/** The replicas of `downstream` that the tier whose admin server is `adminUrl` balances over. */
export async function replicasAt(
  adminUrl: string,
  downstream = 'inventory',
): Promise<ReplicaHealth[]> {
  const response = await fetch(`${adminUrl}/health`);
  const body = (await response.json()) as {
    details?: { replicas?: Record<string, ReplicaHealth[]> };
  };
  return body.details?.replicas?.[downstream] ?? [];
}
