/** A short, single-line description of a statement for logs: `SELECT … FROM inventory.items`. */
export function describeQuery(database: string, text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `${database}: ${flat.length > 80 ? `${flat.slice(0, 77)}…` : flat}`;
}
