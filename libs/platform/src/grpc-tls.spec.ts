import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Server, type ServiceError } from '@grpc/grpc-js';
import { DownstreamError, GrpcStatus } from '@lib/deadline';
import { grpcHealthProbe } from '@lib/resilience';
import { parseEnv } from './env.js';
import {
  GRPC_TLS_ENV,
  grpcChannelCredentials,
  grpcServerCredentials,
  grpcTls,
} from './grpc-tls.js';

// Certificates from the repository's own script (openssl), made once for the file.
const dir = mkdtempSync(join(tmpdir(), 'grpc-tls-spec-'));
const script = resolve(__dirname, '../../../scripts/dev-certs.sh');
const path = (file: string) => join(dir, file);
const env = (overrides: Record<string, string>) => ({
  GRPC_TLS_CA: path('ca.crt'),
  GRPC_TLS_CERT: path('order.crt'),
  GRPC_TLS_KEY: path('order.key'),
  ...overrides,
});

/** A certificate the CA signed, valid only on 1-2 January 2020 (`openssl ca` takes explicit dates). */
function expiredCertificate(): string {
  const ca = join(dir, 'expired-ca');
  mkdirSync(ca, { recursive: true });
  writeFileSync(join(ca, 'index'), '');
  writeFileSync(join(ca, 'serial'), '01\n');
  writeFileSync(
    join(ca, 'ca.cnf'),
    `[ca]\ndefault_ca = x\n[x]\ndatabase = ${ca}/index\nnew_certs_dir = ${ca}\nserial = ${ca}/serial\npolicy = p\ndefault_md = sha256\n[p]\ncommonName = supplied\n`,
  );
  // prettier-ignore
  execFileSync('openssl', ['ca', '-batch', '-config', join(ca, 'ca.cnf'), '-cert', path('ca.crt'),
    '-keyfile', path('ca.key'), '-in', path('expired.csr'), '-startdate', '20200101000000Z',
    '-enddate', '20200102000000Z', '-out', path('expired.crt')], { stdio: 'pipe' });
  return path('expired.crt');
}

beforeAll(() => {
  execFileSync('bash', [script, dir, 'order', 'payment'], { stdio: 'pipe' });
  // prettier-ignore
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=expired', '-keyout', path('expired.key'), '-out', path('expired.csr')], { stdio: 'pipe' });
  writeFileSync(path('not-pem.txt'), 'hello\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GRPC_TLS_ENV', () => {
  it('accepts none of the files: plain text', () => {
    expect(grpcTls(parseEnv(GRPC_TLS_ENV, {}))).toBeUndefined();
  });

  it('accepts all three, read from their files', () => {
    const tls = grpcTls(parseEnv(GRPC_TLS_ENV, env({})));
    expect(tls).toEqual({
      ca: readFileSync(path('ca.crt')),
      cert: readFileSync(path('order.crt')),
      key: readFileSync(path('order.key')),
      serverName: undefined,
    });
  });

  it('refuses some of the three, naming each one missing', () => {
    expect(() =>
      parseEnv(GRPC_TLS_ENV, { GRPC_TLS_CA: path('ca.crt') }),
    ).toThrow(
      /^invalid environment:\n {2}GRPC_TLS_CERT: is required when GRPC_TLS_CA is set: mutual TLS needs all of GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY \(or none, for plain text\) \(.*\)\n {2}GRPC_TLS_KEY: is required when GRPC_TLS_CA is set: /,
    );
    expect(() => parseEnv(GRPC_TLS_ENV, env({ GRPC_TLS_CA: '' }))).toThrow(
      /^invalid environment:\n {2}GRPC_TLS_CA: is required when GRPC_TLS_CERT and GRPC_TLS_KEY are set: [^\n]*$/,
    );
  });

  it('refuses a file it cannot read', () => {
    expect(() =>
      parseEnv(GRPC_TLS_ENV, env({ GRPC_TLS_CA: path('missing.crt') })),
    ).toThrow(
      `invalid environment:\n  GRPC_TLS_CA: cannot read ${path('missing.crt')} (ENOENT)`,
    );
  });

  it('refuses a file that holds no certificate, or no key', () => {
    expect(() =>
      parseEnv(
        GRPC_TLS_ENV,
        env({
          GRPC_TLS_CERT: path('not-pem.txt'),
          GRPC_TLS_KEY: path('order.crt'),
        }),
      ),
    ).toThrow(
      new RegExp(
        `^invalid environment:\\n {2}GRPC_TLS_CERT: ${path('not-pem.txt')} holds no PEM certificate \\(.*\\)\\n {2}GRPC_TLS_KEY: ${path('order.crt')} holds no PEM private key \\(`,
      ),
    );
  });

  it('refuses a key that is not the certificate’s', () => {
    expect(() =>
      parseEnv(GRPC_TLS_ENV, env({ GRPC_TLS_KEY: path('payment.key') })),
    ).toThrow(
      `invalid environment:\n  GRPC_TLS_KEY: ${path('payment.key')} is not the private key of the certificate in GRPC_TLS_CERT (${path('order.crt')})`,
    );
  });

  it('refuses an expired certificate, saying when it expired', () => {
    const expired = expiredCertificate();
    expect(() =>
      parseEnv(
        GRPC_TLS_ENV,
        env({ GRPC_TLS_CERT: expired, GRPC_TLS_KEY: path('expired.key') }),
      ),
    ).toThrow(
      `invalid environment:\n  GRPC_TLS_CERT: the certificate in ${expired} expired on 2020-01-02T00:00:00.000Z`,
    );
  });
});

describe(grpcChannelCredentials.name, () => {
  it('is plain text without TLS', () => {
    const { credentials, channelOptions } = grpcChannelCredentials(undefined);
    expect(credentials._isSecure()).toBe(false);
    expect(channelOptions).toEqual({});
  });

  it('is TLS with the tier’s certificate, checking the server name override when set', () => {
    const tls = grpcTls(
      parseEnv(GRPC_TLS_ENV, env({ GRPC_TLS_SERVER_NAME: 'relay.internal' })),
    );
    const { credentials, channelOptions } = grpcChannelCredentials(tls);
    expect(credentials._isSecure()).toBe(true);
    expect(channelOptions).toEqual({
      'grpc.ssl_target_name_override': 'relay.internal',
    });
  });
});

describe(grpcServerCredentials.name, () => {
  it('is plain text without TLS, TLS with it', () => {
    expect(grpcServerCredentials(undefined)._isSecure()).toBe(false);
    const tls = grpcTls(parseEnv(GRPC_TLS_ENV, env({})));
    expect(grpcServerCredentials(tls)._isSecure()).toBe(true);
  });
});

describe('a gRPC server and a channel on these credentials', () => {
  const raw = (b: Buffer) => b;
  let server: Server;
  let address: string;
  /** The same server on another loopback address, one its certificate does not name. */
  let unnamedAddress: string;

  beforeAll(async () => {
    const tls = grpcTls(parseEnv(GRPC_TLS_ENV, env({})));
    server = new Server();
    // grpc.health.v1.Health/Check answering SERVING (field 1 = 1), as a tier does.
    server.addService(
      {
        check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: raw,
          requestDeserialize: raw,
          responseSerialize: raw,
          responseDeserialize: raw,
        },
      },
      {
        check: (_call: unknown, done: (e: null, r: Buffer) => void) =>
          done(null, Buffer.from([0x08, 0x01])),
      },
    );
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync(
        '127.0.0.1:0',
        grpcServerCredentials(tls),
        (error, bound) => (error ? fail(error) : ok(bound)),
      ),
    );
    address = `127.0.0.1:${port}`;
    const other = await new Promise<number>((ok, fail) =>
      server.bindAsync(
        '127.0.0.2:0',
        grpcServerCredentials(tls),
        (error, bound) => (error ? fail(error) : ok(bound)),
      ),
    );
    unnamedAddress = `127.0.0.2:${other}`;
  });

  afterAll(() => server.forceShutdown());

  const probe = (options: Parameters<typeof grpcHealthProbe>[2]) =>
    grpcHealthProbe(
      'order',
      address,
      options,
    )({
      signal: new AbortController().signal,
      budgetMs: 5_000,
      probe: true,
    });

  it('lets the breaker’s health probe through with the tier’s channel credentials', async () => {
    const tls = grpcTls(
      parseEnv(
        GRPC_TLS_ENV,
        env({
          GRPC_TLS_CERT: path('payment.crt'),
          GRPC_TLS_KEY: path('payment.key'),
        }),
      ),
    );
    await expect(
      probe(grpcChannelCredentials(tls, address)),
    ).resolves.toBeUndefined();
  });

  it('checks the certificate against the IP address it connects to, without sending that address as the TLS server name', async () => {
    const tls = grpcTls(
      parseEnv(
        GRPC_TLS_ENV,
        env({
          GRPC_TLS_CERT: path('payment.crt'),
          GRPC_TLS_KEY: path('payment.key'),
        }),
      ),
    );
    expect(
      grpcChannelCredentials(tls, address).channelOptions[
        'grpc.ssl_target_name_override'
      ],
    ).toBe('grpc-ip-target.invalid');
    // The certificate names 127.0.0.1, not 127.0.0.2: the same server is refused under that address.
    const { credentials, channelOptions } = grpcChannelCredentials(
      tls,
      unnamedAddress,
    );
    const client = new Client(unnamedAddress, credentials, channelOptions);
    try {
      const failure = await new Promise<ServiceError>((resolve, reject) =>
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          raw,
          raw,
          Buffer.alloc(0),
          { deadline: Date.now() + 5_000 },
          (error) =>
            error ? resolve(error) : reject(new Error('served over TLS')),
        ),
      );
      expect(failure.details).toMatch(
        /IP: 127\.0\.0\.2 is not in the cert's list: 127\.0\.0\.1/,
      );
    } finally {
      client.close();
    }
  });

  it('refuses the probe in plain text', async () => {
    const error = await probe({}).catch((e: unknown) => e);
    expect(DownstreamError.is(error) && error.code).toBe(
      GrpcStatus.UNAVAILABLE,
    );
  });
});
