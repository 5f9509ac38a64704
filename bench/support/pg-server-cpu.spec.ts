import { Client } from 'pg';
import { createThrowawayDatabase, type ThrowawayDatabase } from '@lib/database';
import { PgServerCpu } from './pg-server-cpu.js';
import { pidCpuMs } from './process-cpu.js';

// Needs the PostgreSQL server on this host (TEST_POSTGRES_URL, default 127.0.0.1:5432), as the bench does.
describe(PgServerCpu.name, () => {
  let database: ThrowawayDatabase;
  let other: ThrowawayDatabase;

  beforeAll(async () => {
    database = await createThrowawayDatabase(process.env.TEST_POSTGRES_URL);
    other = await createThrowawayDatabase(process.env.TEST_POSTGRES_URL);
  });
  afterAll(async () => {
    await database?.drop();
    await other?.drop();
  });

  const connect = async (
    url: string,
  ): Promise<{ client: Client; pid: number }> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pg_backend_pid() AS pid',
    );
    return { client, pid: rows[0].pid };
  };
  /** Server CPU by work, not by time: a few million loop turns in PL/pgSQL (100 ms or more). */
  const burn = (client: Client): Promise<unknown> =>
    client.query(
      'DO $$ DECLARE i int := 0; BEGIN WHILE i < 5000000 LOOP i := i + 1; END LOOP; END $$',
    );

  it("counts what the database's backends used in the window, its own connection left out", async () => {
    const cpu = await PgServerCpu.open(database.url);
    const { client, pid } = await connect(database.url);
    try {
      expect([...(await cpu.backends()).keys()]).toEqual([pid]);
      const before = pidCpuMs(pid)!;
      const window = await cpu.window();
      await burn(client);
      const ms = await window.stop();
      const used = pidCpuMs(pid)! - before;
      expect(ms).toBeGreaterThan(0);
      // The same clock ticks read twice: equal but for a tick spent between the two readings.
      expect(Math.abs(ms - used)).toBeLessThanOrEqual(20);
    } finally {
      await client.end();
      await cpu.close();
    }
  });

  it("leaves out another database's backends", async () => {
    const cpu = await PgServerCpu.open(database.url);
    const elsewhere = await connect(other.url);
    try {
      const window = await cpu.window();
      await burn(elsewhere.client);
      expect(await window.stop()).toBe(0);
    } finally {
      await elsewhere.client.end();
      await cpu.close();
    }
  });

  it('counts a backend that connects mid-window from zero', async () => {
    const cpu = await PgServerCpu.open(database.url);
    try {
      const window = await cpu.window();
      const late = await connect(database.url);
      try {
        await burn(late.client);
        const ms = await window.stop();
        expect(ms).toBeGreaterThan(0);
        expect(Math.abs(ms - pidCpuMs(late.pid)!)).toBeLessThanOrEqual(20);
      } finally {
        await late.client.end();
      }
    } finally {
      await cpu.close();
    }
  });
});
