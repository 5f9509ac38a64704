import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { AUTH } from '@lib/contracts';
import { DEVELOPMENT_JWT_SECRET } from '../apps/auth/src/auth.env.js';
import { freePort, repoRoot, TierProcess } from '../tools/stack/index.js';
import { rawClient, unary } from './support/grpc-clients.js';
import { issueToken } from './support/tokens.js';

// The auth tier alone, as its own process: what it does with the signing secret it is given.
// A tier's start-up alone can take seconds on a busy machine.
vi.setConfig({ testTimeout: 60_000 });
const OWN_SECRET = randomBytes(32).toString('hex');

async function authTier(env: Record<string, string>): Promise<{
  tier: TierProcess;
  url: string;
}> {
  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const inherited = { ...process.env };
  delete inherited.AUTH_JWT_SECRET;
  delete inherited.NODE_ENV;
  const tier = new TierProcess({
    name: 'auth',
    script: join(repoRoot(), 'dist/apps/auth/src/main.js'),
    env: {
      ...inherited,
      BIND_HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
      AUTH_GRPC_PORT: String(port),
      AUTH_ADMIN_PORT: String(adminPort),
      ...env,
    },
  });
  return { tier, url: `127.0.0.1:${port}` };
}

/** What the tier printed before it exited, one string. */
function output(tier: TierProcess): string {
  return tier.events.map((e) => e.msg).join('\n');
}

function verify(url: string, token: string): Promise<{ subject: string }> {
  const client = rawClient(AUTH, url);
  return unary<{ subject: string }>(
    client,
    'verifyToken',
    { token },
    { deadline: Date.now() + 5_000 },
  ).finally(() => client.close());
}

describe('the auth tier’s signing secret', () => {
  const started: TierProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.stop()));
  });

  it('refuses to start with NODE_ENV=production and no AUTH_JWT_SECRET, saying why', async () => {
    const { tier } = await authTier({ NODE_ENV: 'production' });
    started.push(tier);
    await expect(tier.start(60_000)).rejects.toThrow(
      /^auth exited with code 1 before listening/,
    );
    expect(output(tier)).toContain(
      'AUTH_JWT_SECRET: is required with NODE_ENV=production: the default is a development value published with the source code, so anyone could use it; generate one of your own (e.g. openssl rand -hex 32)',
    );
  });

  it('refuses to start with NODE_ENV=production on the public development secret', async () => {
    const { tier } = await authTier({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: DEVELOPMENT_JWT_SECRET,
    });
    started.push(tier);
    await expect(tier.start(60_000)).rejects.toThrow(
      /^auth exited with code 1 before listening/,
    );
    expect(output(tier)).toContain(
      'AUTH_JWT_SECRET: is the development value published with the source code, refused with NODE_ENV=production',
    );
  });

  it('in production on a secret of its own, refuses a token forged with the development secret and accepts its own', async () => {
    const { tier, url } = await authTier({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: OWN_SECRET,
    });
    started.push(tier);
    await tier.start(60_000);
    // Signed with the development secret, as anyone with the repository can.
    const forged = issueToken('forged-admin', 3600, {
      NODE_ENV: 'development',
      AUTH_JWT_SECRET: DEVELOPMENT_JWT_SECRET,
    });
    const refused = (await verify(url, forged).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect({ code: refused.code, details: refused.details }).toEqual({
      code: status.UNAUTHENTICATED,
      details: 'token rejected (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)',
    });
    const own = issueToken('e2e-user', 3600, {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: OWN_SECRET,
    });
    await expect(verify(url, own)).resolves.toMatchObject({
      subject: 'e2e-user',
    });
    expect(
      tier.events.filter((e) => String(e.msg).includes('development JWT')),
    ).toEqual([]);
  });

  it('outside production starts on the development secret, and warns that tokens can be forged', async () => {
    const { tier } = await authTier({});
    started.push(tier);
    await tier.start(60_000);
    expect(
      tier.events.filter((e) => String(e.msg).includes('development JWT')),
    ).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'development JWT secret: anyone can forge tokens this tier accepts; set AUTH_JWT_SECRET (required with NODE_ENV=production)',
      }),
    ]);
  });
});
