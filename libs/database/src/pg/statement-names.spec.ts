import { StatementNames } from './statement-names.js';

describe('StatementNames', () => {
  it('names each parameterised text once, the same name every time', () => {
    const names = new StatementNames(10);
    const a = names.nameOf('SELECT $1', 1);
    const b = names.nameOf('SELECT $1, $2', 2);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    expect(names.nameOf('SELECT $1', 1)).toBe(a);
  });

  it('leaves a text without parameters unnamed', () => {
    expect(new StatementNames(10).nameOf('COMMIT', 0)).toBeUndefined();
  });

  it('names no more than max distinct texts, and keeps naming those it has', () => {
    const names = new StatementNames(2);
    const first = names.nameOf('SELECT $1', 1);
    names.nameOf('SELECT $1 + 1', 1);
    expect(names.nameOf('SELECT $1 + 2', 1)).toBeUndefined();
    expect(names.nameOf('SELECT $1', 1)).toBe(first);
  });

  it('names nothing at max 0', () => {
    expect(new StatementNames(0).nameOf('SELECT $1', 1)).toBeUndefined();
  });
});
