import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import {
  type ChannelCredentials,
  credentials,
  ServerCredentials,
} from '@grpc/grpc-js';
import { type EnvCheckContext, EnvProblem, type EnvVar, str } from './env.js';

const FILES = ['GRPC_TLS_CA', 'GRPC_TLS_CERT', 'GRPC_TLS_KEY'] as const;

/**
 * Mutual TLS between the tiers, from three PEM files: every gRPC server asks for a client
 * certificate and accepts only one the CA signed, and every channel presents the tier's own and
 * trusts only servers the CA signed. All three or none: none is plain text (the local default).
 */
export const GRPC_TLS_ENV = {
  GRPC_TLS_CA: tlsFile(
    'mutual TLS between tiers: PEM CA certificate(s); the tier accepts gRPC clients, and trusts gRPC servers, only with a certificate signed by it. All three of GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY, or none for plain text',
    'certificate',
  ),
  GRPC_TLS_CERT: tlsFile(
    'mutual TLS between tiers: PEM certificate (chain) the tier presents as gRPC server and as client; it must name the host its callers dial',
    'certificate',
  ),
  GRPC_TLS_KEY: tlsFile(
    'mutual TLS between tiers: PEM private key of GRPC_TLS_CERT',
    'key',
  ),
  GRPC_TLS_SERVER_NAME: str(
    "mutual TLS between tiers: name each downstream's certificate is checked against instead of the host in its URL (when the tiers are dialled by an address their certificates do not name); empty = the host in the URL",
    { default: '' },
  ),
};

/** The tier's mutual TLS material, read from the files the environment names. */
export interface GrpcTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Checked against downstream certificates instead of the URL's host (`GRPC_TLS_SERVER_NAME`). */
  readonly serverName?: string;
}

type TlsEnv = {
  readonly [K in keyof typeof GRPC_TLS_ENV]: string;
};

/** Reads the files of a validated environment; `undefined` when mutual TLS is not configured. */
export function grpcTls(env: TlsEnv): GrpcTls | undefined {
  if (!env.GRPC_TLS_CA) return undefined;
  return {
    ca: readFileSync(env.GRPC_TLS_CA),
    cert: readFileSync(env.GRPC_TLS_CERT),
    key: readFileSync(env.GRPC_TLS_KEY),
    serverName: env.GRPC_TLS_SERVER_NAME || undefined,
  };
}

/** A gRPC server's credentials: mutual TLS, a client certificate required; plain text without `tls`. */
export function grpcServerCredentials(
  tls: GrpcTls | undefined,
): ServerCredentials {
  return tls
    ? ServerCredentials.createSsl(
        tls.ca,
        [{ cert_chain: tls.cert, private_key: tls.key }],
        true,
      )
    : ServerCredentials.createInsecure();
}

/**
 * The TLS server name sent (SNI) on a channel to an IP address. Node 26 refuses an IP address there
 * (RFC 6066; Node 24 only warned, DEP0123), and grpc-js 1.14 sends the target's host: so a name goes
 * instead, and the server's certificate is still checked against the IP address.
 */
const IP_TARGET_SERVER_NAME = 'grpc-ip-target.invalid';

/**
 * A channel's credentials and the options they need: mutual TLS, or plain text without `tls`. The
 * server's certificate must name `GRPC_TLS_SERVER_NAME` when set, else the host of `target` (the
 * channel's address, e.g. `127.0.0.1:50052` or `dns:///order:50052`).
 */
export function grpcChannelCredentials(
  tls: GrpcTls | undefined,
  target?: string,
): {
  readonly credentials: ChannelCredentials;
  readonly channelOptions: Readonly<Record<string, string>>;
} {
  if (!tls)
    return { credentials: credentials.createInsecure(), channelOptions: {} };
  if (tls.serverName)
    return {
      credentials: credentials.createSsl(tls.ca, tls.key, tls.cert),
      channelOptions: { 'grpc.ssl_target_name_override': tls.serverName },
    };
  const ip = target === undefined ? undefined : ipHostOf(target);
  if (ip === undefined)
    return {
      credentials: credentials.createSsl(tls.ca, tls.key, tls.cert),
      channelOptions: {},
    };
  return {
    credentials: credentials.createSsl(tls.ca, tls.key, tls.cert, {
      checkServerIdentity: (_serverName, certificate) =>
        checkServerIdentity(ip, certificate),
    }),
    channelOptions: { 'grpc.ssl_target_name_override': IP_TARGET_SERVER_NAME },
  };
}

/** The IP address a gRPC target names (`10.0.0.7:50052`, `[::1]:50052`, `ipv4:10.0.0.7:50052,…`), if it names one. */
function ipHostOf(target: string): string | undefined {
  const address = target
    .replace(/^(ipv4|ipv6):/, '')
    .replace(/^dns:(\/\/[^/]*)?\/?/, '')
    .split(',')[0];
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.lastIndexOf(':') > address.indexOf(':')
      ? address // a bare IPv6 address, no port
      : address.split(':')[0];
  return isIP(host) ? host : undefined;
}

function tlsFile(
  description: string,
  kind: 'certificate' | 'key',
): EnvVar<string> {
  return {
    ...str(description, { default: '' }),
    check: (path, context) =>
      path ? readable(path, kind, context) : allOrNone(context),
  };
}

/** An unset file while another of the three is set. */
function allOrNone({ isSet }: EnvCheckContext): EnvProblem | undefined {
  const set = FILES.filter(isSet);
  return set.length
    ? new EnvProblem(
        `is required when ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set: mutual TLS needs all of ${FILES.join(', ')} (or none, for plain text)`,
      )
    : undefined;
}

/** The file is there, holds what it should, and (for the key) belongs to the certificate. */
function readable(
  path: string,
  kind: 'certificate' | 'key',
  { values }: EnvCheckContext,
): EnvProblem | undefined {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    return new EnvProblem(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  if (kind === 'certificate') {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      return new EnvProblem(`${path} holds no PEM certificate`);
    }
    const expires = new Date(certificate.validTo);
    if (expires.getTime() < Date.now())
      return new EnvProblem(
        `the certificate in ${path} expired on ${expires.toISOString()}`,
      );
    return undefined;
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem);
  } catch {
    return new EnvProblem(`${path} holds no PEM private key`);
  }
  const certPath = values.GRPC_TLS_CERT;
  if (typeof certPath !== 'string' || !certPath) return undefined;
  try {
    if (!new X509Certificate(readFileSync(certPath)).checkPrivateKey(key))
      return new EnvProblem(
        `${path} is not the private key of the certificate in GRPC_TLS_CERT (${certPath})`,
      );
  } catch {
    // GRPC_TLS_CERT's own check reports an unreadable certificate.
  }
  return undefined;
}
