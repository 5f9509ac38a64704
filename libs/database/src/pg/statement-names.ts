/**
 * Names for the statements a pool runs again and again, so each connection parses and plans a
 * statement once and then only binds and executes it (PostgreSQL's extended protocol with a named
 * statement). The server's CPU per statement is most of what that saves: parse, analyse and plan
 * are the larger share of a short statement's cost. Only parameterised texts are named, since a
 * text without parameters may be one of many (DDL, a `SET LOCAL` with the budget in it); and only
 * the first `max` distinct texts, so a caller that builds SQL on the fly cannot make every
 * connection hold an unbounded set of prepared statements.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly max: number) {}

  /** The name to prepare `text` under, or undefined to send it unnamed. */
  nameOf(text: string, paramCount: number): string | undefined {
    if (paramCount === 0) return undefined;
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= this.max) return known;
    const name = `dr_${this.names.size.toString(36)}`;
    this.names.set(text, name);
    return name;
  }
}
