import type { Database } from './database.js';
import { migrate } from './migration.js';

// Only the refusals that happen before any SQL runs; applying migrations is tested against real
// PostgreSQL in test/database.e2e-spec.ts.
describe(migrate.name, () => {
  const untouchable = new Proxy({} as Database, {
    get: () => {
      throw new Error('the database must not be touched');
    },
  });

  it('refuses a schema name that is not a plain identifier (it is spliced into SQL)', async () => {
    await expect(
      migrate(untouchable, 'shop; DROP TABLE x', []),
    ).rejects.toThrow(
      'migrate: "shop; DROP TABLE x" is not a plain lower-case SQL identifier',
    );
  });

  it('refuses two migrations with the same id', async () => {
    const twice = [
      { id: '001', statements: ['SELECT 1'] },
      { id: '001', statements: ['SELECT 2'] },
    ];
    await expect(migrate(untouchable, 'shop', twice)).rejects.toThrow(
      'migrate(shop): duplicate migration ids',
    );
  });
});
