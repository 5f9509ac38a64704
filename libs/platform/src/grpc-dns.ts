import { EnvProblem, type EnvVar, int, oneOf } from './env.js';

/**
 * The DNS server a `dns:` target names in its authority (`dns://127.0.0.1:5353/inventory:50053`
 * → `127.0.0.1:5353`); undefined for `dns:///inventory:50053`, `inventory:50053` or a list.
 */
export function dnsServerOf(url: string): string | undefined {
  return /^dns:\/\/([^/]+)\//.exec(url.trim())?.[1];
}

/**
 * How a tier's channels resolve `dns:` targets (grpc-js's own DNS resolver). A channel re-resolves
 * when a connection drops (a replica's `GRPC_MAX_CONNECTION_AGE_MS`, a restart), at most once per
 * `GRPC_DNS_MIN_RESOLUTION_MS`.
 */
export const GRPC_DNS_ENV = {
  GRPC_DNS_MIN_RESOLUTION_MS: int(
    "shortest time between two DNS resolutions of a dns: downstream (grpc-js's grpc.dns_min_time_between_resolutions_ms): a re-resolution asked sooner, when a connection drops, waits for it",
    { default: 30_000, min: 0, max: 3_600_000 },
  ),
  GRPC_NODE_USE_ALTERNATIVE_RESOLVER: alternativeResolver(),
};

/**
 * grpc-js's own variable, read from the process's environment when grpc-js loads; validated here.
 * Only with `true` does grpc-js ask DNS directly (A and AAAA queries, to the server a target names
 * in its authority, else the system's), and only then is that authority used at all: without it a
 * `dns://server/name:port` target is looked up by the system (`getaddrinfo`) and its server
 * silently ignored, so such a target is refused at start-up unless this is `true`.
 */
function alternativeResolver(): EnvVar<'true' | 'false'> {
  return {
    ...oneOf(
      "grpc-js's own switch: true = resolve dns: targets with DNS queries (A/AAAA, no /etc/hosts), to the DNS server a target names (dns://127.0.0.1:5353/name:port) or else the system's; false = the system's lookup (getaddrinfo), which cannot ask a named server. Required true by a *_GRPC_URL that names a DNS server",
      ['true', 'false'] as const,
      { default: 'false' },
    ),
    check: (value, { values }) => {
      if (value === 'true') return undefined;
      const naming = Object.entries(values)
        .filter(
          ([name, url]) =>
            name.endsWith('_GRPC_URL') &&
            typeof url === 'string' &&
            dnsServerOf(url) !== undefined,
        )
        .map(([name]) => name);
      return naming.length
        ? new EnvProblem(
            `must be true when a downstream URL names a DNS server (${naming.join(', ')}): grpc-js otherwise asks the system resolver and ignores the server named`,
          )
        : undefined;
    },
  };
}
