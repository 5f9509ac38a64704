import { openDatabase } from './open-database.js';

describe(openDatabase.name, () => {
  it('refuses a URL of another kind, without echoing its password', async () => {
    await expect(
      openDatabase({ url: 'mysql://root:secret@db/app' }),
    ).rejects.toThrow(
      'database URL must start with postgres://, postgresql:// or pglite: (got "mysql://…@db/app")',
    );
  });
});
