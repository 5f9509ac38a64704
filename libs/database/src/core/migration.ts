import { Deadline } from '@lib/deadline';
import type { Database } from './database.js';

/** One schema change, applied once, in order of `id`. */
export interface Migration {
  /** Sortable and unique within its schema: `001-reservations`. */
  readonly id: string;
  /** Statements, run in order in one transaction with the bookkeeping (one statement each: PGlite's extended protocol takes no more). */
  readonly statements: readonly string[];
}

export interface MigrateOptions {
  /** Budget for the whole run, under its own deadline (start-up has no request to inherit one from). @default 30000 */
  readonly budgetMs?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Brings `schema` up to date: creates it and its `schema_migrations` table when missing, then applies
 * every migration not yet recorded, in one transaction, under an advisory lock so that replicas
 * starting together apply each migration once. Returns the ids applied.
 */
export async function migrate(
  db: Database,
  schema: string,
  migrations: readonly Migration[],
  options: MigrateOptions = {},
): Promise<string[]> {
  if (!IDENTIFIER.test(schema))
    throw new TypeError(
      `migrate: "${schema}" is not a plain lower-case SQL identifier`,
    );
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length)
    throw new TypeError(`migrate(${schema}): duplicate migration ids`);
  const ordered = [...migrations].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const deadline = Deadline.after(options.budgetMs ?? 30_000);
  try {
    return await db.transaction(
      async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `migrate:${schema}`,
        ]);
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await tx.query(
          `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const done = new Set(
          (
            await tx.query<{ id: string }>(
              `SELECT id FROM ${schema}.schema_migrations`,
            )
          ).map((row) => row.id),
        );
        const applied: string[] = [];
        for (const migration of ordered) {
          if (done.has(migration.id)) continue;
          for (const statement of migration.statements)
            await tx.query(statement);
          await tx.query(
            `INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`,
            [migration.id],
          );
          applied.push(migration.id);
        }
        return applied;
      },
      { deadline },
    );
  } finally {
    deadline.dispose();
  }
}
