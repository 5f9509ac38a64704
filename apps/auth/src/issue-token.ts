// Prints a signed demo token: `node dist/apps/auth/src/issue-token.js [subject] [ttlSeconds]`.
import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { parseEnv } from '@lib/platform';
import { AUTH_ENV, type AuthEnv } from './auth.env.js';
import { AuthService } from './auth.service.js';

const env = parseEnv(AUTH_ENV);
const auth = new AuthService(new ConfigService<AuthEnv, true>(env));
const [subject = 'demo-user', ttl = '3600'] = process.argv.slice(2);
void auth
  .issue(subject, Number(ttl))
  .then((token) => process.stdout.write(`${token}\n`));
