/** One environment variable: how to read it, its default, and what it is for (shown in errors). */
export interface EnvVar<T> {
  readonly description: string;
  readonly default?: T;
  parse(raw: string): T | EnvProblem;
  /**
   * A rule that needs more than the raw value (other variables, `NODE_ENV`, the file system), run
   * once every variable has been read, for a value that parsed or was defaulted. Its problem is
   * listed under this variable's name with the others.
   */
  check?(value: T, context: EnvCheckContext): EnvProblem | undefined;
}

/** What a {@link EnvVar.check} sees. */
export interface EnvCheckContext {
  /** The variable being checked. */
  readonly name: string;
  /** Every variable of the spec, parsed or defaulted (a variable that failed to parse is absent). */
  readonly values: Readonly<Record<string, unknown>>;
  /** `NODE_ENV` is `production` (any case). */
  readonly production: boolean;
  /** Whether the environment gives `name` a value, rather than leaving it to its default. */
  readonly isSet: (name: string) => boolean;
}

/** A reason a raw value was refused. */
export class EnvProblem {
  constructor(readonly reason: string) {}
}

export type EnvSpec = Record<string, EnvVar<unknown>>;
export type EnvOf<S extends EnvSpec> = {
  readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never;
};

export function int(
  description: string,
  options: { default?: number; min?: number; max?: number } = {},
): EnvVar<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } =
    options;
  return {
    description,
    default: options.default,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim()))
        return new EnvProblem(`"${raw}" is not a whole number`);
      const value = Number(raw);
      if (value < min || value > max)
        return new EnvProblem(`${value} is outside ${min}..${max}`);
      return value;
    },
  };
}

/** A decimal number (`0.95`, `12`, `-1.5`; no exponent, no `Infinity`) within `min`..`max`. */
export function decimal(
  description: string,
  options: { default?: number; min?: number; max?: number } = {},
): EnvVar<number> {
  const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE } = options;
  return {
    description,
    default: options.default,
    parse: (raw) => {
      if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()))
        return new EnvProblem(`"${raw}" is not a decimal number`);
      const value = Number(raw);
      if (value < min || value > max)
        return new EnvProblem(`${value} is outside ${min}..${max}`);
      return value;
    },
  };
}

export function str(
  description: string,
  options: { default?: string; pattern?: RegExp; minLength?: number } = {},
): EnvVar<string> {
  return {
    description,
    default: options.default,
    parse: (raw) => {
      if (options.minLength !== undefined && raw.length < options.minLength)
        return new EnvProblem(
          `must be at least ${options.minLength} characters`,
        );
      if (options.pattern && !options.pattern.test(raw))
        return new EnvProblem(`"${raw}" does not match ${options.pattern}`);
      return raw;
    },
  };
}

/**
 * A secret with a default for development only. The default is published with the source code, so
 * anyone can use it: with `NODE_ENV=production` the variable is required and that value is refused.
 * Problems never show the value.
 */
export function secret(
  description: string,
  options: { developmentDefault: string; minLength?: number },
): EnvVar<string> {
  const { developmentDefault, minLength = 1 } = options;
  return {
    description,
    default: developmentDefault,
    parse: (raw) =>
      raw.length < minLength
        ? new EnvProblem(`must be at least ${minLength} characters`)
        : raw,
    check: (value, { name, production, isSet }) => {
      if (!production) return undefined;
      if (!isSet(name))
        return new EnvProblem(
          'is required with NODE_ENV=production: the default is a development value published with the source code, so anyone could use it; generate one of your own (e.g. openssl rand -hex 32)',
        );
      if (value === developmentDefault)
        return new EnvProblem(
          'is the development value published with the source code, refused with NODE_ENV=production; generate one of your own (e.g. openssl rand -hex 32)',
        );
      return undefined;
    },
  };
}

export function bool(
  description: string,
  options: { default?: boolean } = {},
): EnvVar<boolean> {
  return {
    description,
    default: options.default,
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no', ''].includes(value)) return false;
      return new EnvProblem(`"${raw}" is not true/false`);
    },
  };
}

export function oneOf<T extends string>(
  description: string,
  values: readonly T[],
  options: { default?: T } = {},
): EnvVar<T> {
  return {
    description,
    default: options.default,
    parse: (raw) =>
      (values as readonly string[]).includes(raw)
        ? (raw as T)
        : new EnvProblem(`"${raw}" is not one of ${values.join(', ')}`),
  };
}

/** `NODE_ENV` says production (`production`, in any case, spaces around ignored). */
export function isProduction(
  env: Readonly<Record<string, unknown>> = process.env,
): boolean {
  return (
    typeof env.NODE_ENV === 'string' &&
    env.NODE_ENV.trim().toLowerCase() === 'production'
  );
}

/** A comma-separated list (spaces around items ignored, empty = no items), each item checked by `item`. */
export function list<T extends string>(
  description: string,
  options: {
    default?: readonly T[];
    item: (raw: string) => T | EnvProblem;
  },
): EnvVar<readonly T[]> {
  return {
    description,
    default: options.default,
    parse: (raw) => {
      const items: T[] = [];
      for (const part of raw.split(',')) {
        const trimmed = part.trim();
        if (trimmed === '') continue;
        const parsed = options.item(trimmed);
        if (parsed instanceof EnvProblem) return parsed;
        items.push(parsed);
      }
      return items;
    },
  };
}

/**
 * Parses the environment once, against a spec, reporting every bad variable at once: first each
 * value on its own, then the variables' checks (see {@link EnvVar.check}).
 * Usable as `ConfigModule.forRoot({ validate: (env) => parseEnv(spec, env) })`.
 */
export function parseEnv<S extends EnvSpec>(
  spec: S,
  env: Record<string, unknown> = process.env,
): EnvOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (variable.default === undefined)
        problems.push(`${name} is required: ${variable.description}`);
      else out[name] = variable.default;
      continue;
    }
    const parsed = variable.parse(
      typeof raw === 'string' ? raw : JSON.stringify(raw),
    );
    if (parsed instanceof EnvProblem)
      problems.push(`${name}: ${parsed.reason} (${variable.description})`);
    else out[name] = parsed;
  }
  const isSet = (name: string): boolean =>
    env[name] !== undefined && env[name] !== '';
  const production = isProduction(env);
  for (const [name, variable] of Object.entries(spec)) {
    if (!variable.check || !(name in out)) continue;
    const problem = variable.check(out[name], {
      name,
      values: out,
      production,
      isSet,
    });
    if (problem)
      problems.push(`${name}: ${problem.reason} (${variable.description})`);
  }
  if (problems.length)
    throw new Error(`invalid environment:\n  ${problems.join('\n  ')}`);
  return out as EnvOf<S>;
}
