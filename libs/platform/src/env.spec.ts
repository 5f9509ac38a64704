import { EnvProblem, list, parseEnv } from './env.js';

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
