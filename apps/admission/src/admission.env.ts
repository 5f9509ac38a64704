import { type EnvOf, int, oneOf, str } from '@lib/platform';

/** The admission webhook is not a tier of the order chain: it reads only these. */
export const ADMISSION_ENV = {
  BIND_HOST: str('address the tier listens on', { default: '0.0.0.0' }),
  LOG_FORMAT: oneOf(
    'log lines as JSON or short human text',
    ['json', 'pretty'] as const,
    { default: 'json' },
  ),
  ADMISSION_PORT: int(
    'HTTPS port of the admission webhook (Kubernetes calls it over TLS only)',
    { default: 8443, min: 0, max: 65535 },
  ),
  ADMISSION_TLS_CERT_FILE: str(
    'PEM server certificate (chain) of the admission webhook',
    { default: '/etc/admission/tls/tls.crt' },
  ),
  ADMISSION_TLS_KEY_FILE: str('PEM private key of the admission webhook', {
    default: '/etc/admission/tls/tls.key',
  }),
  ADMISSION_MAX_BUDGET_MS: int(
    'cluster policy: largest timeout budget a workload may declare',
    { default: 30_000, min: 1, max: 3_600_000 },
  ),
  ADMISSION_DEFAULT_BUDGET_MS: int(
    'budget the mutating webhook gives a workload that declares none',
    { default: 5_000, min: 1, max: 3_600_000 },
  ),
  ADMISSION_DEFAULT_RESERVE_MS: int(
    'DEADLINE_RESERVE_MS the mutating webhook gives a container that sets none',
    { default: 10, min: 0, max: 10_000 },
  ),
};
export type AdmissionEnv = EnvOf<typeof ADMISSION_ENV>;
