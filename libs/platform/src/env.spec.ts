import {
  decimal,
  EnvProblem,
  type EnvVar,
  int,
  list,
  parseEnv,
  secret,
  str,
} from './env.js';

const DEV = 'a-development-secret-of-32-characters';
const OWN = 'f'.repeat(64);
const SPEC = {
  PORT: int('port', { default: 1, min: 0, max: 65535 }),
  SECRET: secret('signing secret', { developmentDefault: DEV, minLength: 32 }),
};

describe(parseEnv.name, () => {
  it('lists every bad variable, the checks after the values, each with its description', () => {
    expect(() => parseEnv(SPEC, { NODE_ENV: 'production', PORT: 'x' })).toThrow(
      'invalid environment:\n' +
        '  PORT: "x" is not a whole number (port)\n' +
        '  SECRET: is required with NODE_ENV=production',
    );
  });

  it('runs a check only for a value that parsed', () => {
    const check = vi.fn(() => new EnvProblem('never'));
    const spec = { N: { ...int('n'), check } as EnvVar<number> };
    expect(() => parseEnv(spec, { N: 'x' })).toThrow(
      'invalid environment:\n  N: "x" is not a whole number (n)',
    );
    expect(check).not.toHaveBeenCalled();
  });

  it('gives a check the other values and whether each was set', () => {
    const check = vi.fn((): undefined => undefined);
    const spec = {
      A: { ...str('a', { default: 'da' }), check } as EnvVar<string>,
      B: str('b', { default: 'db' }),
    };
    parseEnv(spec, { B: 'b' });
    expect(check).toHaveBeenCalledWith(
      'da',
      expect.objectContaining({
        name: 'A',
        values: { A: 'da', B: 'b' },
        production: false,
      }),
    );
    const { isSet } = (check.mock.calls[0] as unknown[])[1] as {
      isSet: (name: string) => boolean;
    };
    expect([isSet('A'), isSet('B')]).toEqual([false, true]);
  });
});

describe(secret.name, () => {
  it('uses the development default outside production', () => {
    expect(parseEnv(SPEC, {}).SECRET).toBe(DEV);
    expect(parseEnv(SPEC, { NODE_ENV: 'test' }).SECRET).toBe(DEV);
  });

  it.each(['production', 'Production', ' PRODUCTION '])(
    'is required with NODE_ENV=%j, saying why',
    (nodeEnv) => {
      expect(() => parseEnv(SPEC, { NODE_ENV: nodeEnv })).toThrow(
        'invalid environment:\n  SECRET: is required with NODE_ENV=production: the default is a development value published with the source code, so anyone could use it; generate one of your own (e.g. openssl rand -hex 32) (signing secret)',
      );
    },
  );

  it('refuses the development value itself in production', () => {
    expect(() =>
      parseEnv(SPEC, { NODE_ENV: 'production', SECRET: DEV }),
    ).toThrow(
      'invalid environment:\n  SECRET: is the development value published with the source code, refused with NODE_ENV=production',
    );
  });

  it('accepts a secret of its own in production', () => {
    expect(parseEnv(SPEC, { NODE_ENV: 'production', SECRET: OWN }).SECRET).toBe(
      OWN,
    );
  });

  it('refuses a short secret without showing it', () => {
    let message = '';
    try {
      parseEnv(SPEC, { SECRET: 'short-and-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'invalid environment:\n  SECRET: must be at least 32 characters (signing secret)',
    );
  });
});

describe(list.name, () => {
  const spec = {
    CODINGS: list('codings', {
      default: ['gzip'],
      item: (raw) =>
        ['gzip', 'br'].includes(raw)
          ? raw
          : new EnvProblem(`"${raw}" is unknown`),
    }),
  };

  it('reads comma-separated items, spaces and empty items ignored', () => {
    expect(parseEnv(spec, { CODINGS: ' gzip, ,br ' })).toEqual({
      CODINGS: ['gzip', 'br'],
    });
  });

  it('takes the default when unset', () => {
    expect(parseEnv(spec, {})).toEqual({ CODINGS: ['gzip'] });
  });

  it('refuses the whole list for one bad item, naming it', () => {
    expect(() => parseEnv(spec, { CODINGS: 'gzip,zstd' })).toThrow(
      'CODINGS: "zstd" is unknown (codings)',
    );
  });
});

describe(decimal.name, () => {
  const spec = { Q: decimal('quantile', { default: 0.95, min: 0.5, max: 1 }) };

  it('reads a decimal number, and takes the default when unset', () => {
    expect(parseEnv(spec, { Q: ' 0.99 ' })).toEqual({ Q: 0.99 });
    expect(parseEnv(spec, { Q: '1' })).toEqual({ Q: 1 });
    expect(parseEnv(spec, {})).toEqual({ Q: 0.95 });
  });

  it('refuses what is not a plain decimal, and a value out of range', () => {
    expect(() => parseEnv(spec, { Q: '9e-1' })).toThrow(
      'Q: "9e-1" is not a decimal number (quantile)',
    );
    expect(() => parseEnv(spec, { Q: '0.2' })).toThrow(
      'Q: 0.2 is outside 0.5..1 (quantile)',
    );
  });
});
