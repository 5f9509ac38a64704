import { Client } from 'pg';
import {
  CancelledError,
  configureLostDeadlineGuard,
  Deadline,
  DeadlineExceededError,
  type LostDeadline,
  LostDeadlineError,
  lostDeadlineCount,
  onLostDeadline,
  runWithDeadline,
} from '@lib/deadline';
import {
  createThrowawayDatabase,
  type Database,
  migrate,
  openDatabase,
  type ThrowawayDatabase,
} from '@lib/database';

// Against the real PostgreSQL server (127.0.0.1:5432; `.ci/run` starts it), in a database of our own.
const SERVER_URL =
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

describe('PgDatabase (real PostgreSQL)', () => {
  let throwaway: ThrowawayDatabase;
  let db: Database;
  let observer: Client;

  beforeAll(async () => {
    throwaway = await createThrowawayDatabase(SERVER_URL);
    db = await openDatabase({
      url: throwaway.url,
      name: 'test',
      maxConnections: 1,
    });
    observer = new Client({ connectionString: throwaway.url });
    await observer.connect();
  });

  afterAll(async () => {
    await db?.close();
    await observer?.end();
    await throwaway?.drop();
  });

  afterEach(() => configureLostDeadlineGuard({ strict: false }));

  /** Polls until no backend of our database runs a statement matching `pattern`, or fails after `timeoutMs`. */
  async function waitUntilGone(
    pattern: string,
    timeoutMs = 5_000,
  ): Promise<number> {
    const started = performance.now();
    for (;;) {
      const { rows } = await observer.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1",
        [`%${pattern}%`],
      );
      if (rows[0].n === 0) return performance.now() - started;
      if (performance.now() - started > timeoutMs)
        throw new Error(
          `a statement matching ${pattern} still runs after ${timeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const within = <T>(budgetMs: number, fn: () => Promise<T>): Promise<T> => {
    const deadline = Deadline.after(budgetMs);
    return runWithDeadline(deadline, fn).finally(() => deadline.dispose());
  };

  it('stops pg_sleep(5) under a 200 ms budget on the server, and the pool’s one connection serves the next query', async () => {
    const started = performance.now();
    const failure = await within(200, () =>
      db.query('SELECT pg_sleep(5) /* budget-test */'),
    ).catch((e: unknown) => e);
    const tookMs = performance.now() - started;

    expect(DeadlineExceededError.is(failure)).toBe(true);
    expect(tookMs).toBeLessThan(2_000);
    await waitUntilGone('budget-test');
    const rows = await within(5_000, () =>
      db.query<{ one: number }>('SELECT 1 AS one'),
    );
    expect(rows).toEqual([{ one: 1 }]);
    expect(db.stats().connections?.total).toBe(1);
  });

  it('cancels the statement on the server when the caller goes away, long before its statement_timeout', async () => {
    const before = db.stats().cancelledQueries;
    const deadline = Deadline.after(30_000);
    const running = runWithDeadline(deadline, () =>
      db.query('SELECT pg_sleep(20) /* hangup-test */'),
    ).catch((e: unknown) => e);
    // Cancel once the statement is really running on the server.
    await pollFor(
      async () =>
        (
          await observer.query(
            "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%hangup-test%' AND pid <> pg_backend_pid()",
          )
        ).rowCount === 1,
    );
    deadline.cancel();

    expect(CancelledError.is(await running)).toBe(true);
    expect(await waitUntilGone('hangup-test')).toBeLessThan(5_000);
    await pollFor(async () => db.stats().cancelledQueries > before);
    expect(
      await within(5_000, () => db.query<{ ok: boolean }>('SELECT true AS ok')),
    ).toEqual([{ ok: true }]);
  });

  it('runs a single statement in one round trip, under the connection’s statement_timeout', async () => {
    const before = db.stats().roundTrips;
    const [row] = await within(3_000, () =>
      db.query<{ statement_timeout: string }>('SHOW statement_timeout'),
    );
    expect(db.stats().roundTrips - before).toBe(1);
    // The backstop set once per connection; the deadline itself is enforced by the cancel above.
    expect(parseTimeout(row.statement_timeout)).toBe(30_000);
  });

  it('sets statement_timeout from the remaining budget inside a transaction', async () => {
    const before = db.stats().roundTrips;
    const [row] = await within(3_000, () =>
      db.transaction((tx) =>
        tx.query<{ statement_timeout: string }>('SHOW statement_timeout'),
      ),
    );
    // BEGIN with SET LOCAL, the statement, COMMIT.
    expect(db.stats().roundTrips - before).toBe(3);
    const ms = parseTimeout(row.statement_timeout);
    expect(ms).toBeGreaterThan(1_000);
    expect(ms).toBeLessThanOrEqual(3_000);
    // SET LOCAL: the connection is back at its own backstop once the transaction ends.
    const [outside] = await within(3_000, () =>
      db.query<{ statement_timeout: string }>('SHOW statement_timeout'),
    );
    expect(parseTimeout(outside.statement_timeout)).toBe(30_000);
  });

  it('rolls back a transaction whose deadline runs out half-way', async () => {
    await within(5_000, () =>
      db.query('CREATE TABLE IF NOT EXISTS public.notes (id int PRIMARY KEY)'),
    );
    const failure = await within(300, () =>
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO public.notes (id) VALUES (1)');
        await tx.query('SELECT pg_sleep(5)');
      }),
    ).catch((e: unknown) => e);

    expect(DeadlineExceededError.is(failure)).toBe(true);
    expect((await observer.query('SELECT id FROM public.notes')).rows).toEqual(
      [],
    );
  });

  it('refuses to start a query once the deadline has passed, without borrowing a connection', async () => {
    const deadline = Deadline.after(0);
    const failure = await db
      .query('SELECT 1', [], { deadline })
      .catch((e: unknown) => e);
    expect(DeadlineExceededError.is(failure)).toBe(true);
  });

  it('throws LostDeadlineError in strict mode for a query with no deadline in scope, naming the call site', async () => {
    configureLostDeadlineGuard({ strict: true });
    const counted = lostDeadlineCount();
    const failure = await db.query('SELECT 1').catch((e: unknown) => e);

    expect(LostDeadlineError.is(failure)).toBe(true);
    expect((failure as LostDeadlineError).lost).toEqual({
      kind: 'query',
      target: 'test: SELECT 1',
      callSite: expect.stringContaining('database.e2e-spec.ts:'),
    });
    expect(lostDeadlineCount()).toBe(counted + 1);
  });

  it('runs a query with no deadline in scope outside strict mode, counted, under the fallback statement_timeout', async () => {
    const counted = lostDeadlineCount();
    const seen: LostDeadline[] = [];
    const unsubscribe = onLostDeadline((lost) => seen.push(lost));
    const [row] = await db
      .query<{ statement_timeout: string }>('SHOW statement_timeout')
      .finally(unsubscribe);

    expect(parseTimeout(row.statement_timeout)).toBe(5_000);
    expect(lostDeadlineCount()).toBe(counted + 1);
    expect(seen).toEqual([
      {
        kind: 'query',
        target: 'test: SHOW statement_timeout',
        callSite: expect.stringMatching(/database\.e2e-spec\.ts:\d+:\d+$/),
      },
    ]);
  });

  it('applies each migration once, even when two services start together', async () => {
    const other = await openDatabase({ url: throwaway.url, name: 'other' });
    try {
      const migrations = [
        {
          id: '001-items',
          statements: ['CREATE TABLE shop.items (sku text PRIMARY KEY)'],
        },
        {
          id: '002-price',
          statements: [
            'ALTER TABLE shop.items ADD COLUMN price_cents integer NOT NULL DEFAULT 0',
          ],
        },
      ];
      const [a, b] = await Promise.all([
        migrate(db, 'shop', migrations),
        migrate(other, 'shop', migrations),
      ]);
      expect([...a, ...b].sort()).toEqual(['001-items', '002-price']);
      expect(
        await migrate(db, 'shop', [
          ...migrations,
          {
            id: '003-stock',
            statements: ['ALTER TABLE shop.items ADD COLUMN stock integer'],
          },
        ]),
      ).toEqual(['003-stock']);
    } finally {
      await other.close();
    }
  });
});

async function pollFor(
  condition: () => Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `SHOW statement_timeout` answers `2999ms`, `5s`, `0`. */
function parseTimeout(shown: string): number {
  const match = /^(\d+)(ms|s|min)?$/.exec(shown);
  if (!match) throw new Error(`unexpected statement_timeout ${shown}`);
  return (
    Number(match[1]) * ({ ms: 1, s: 1_000, min: 60_000 }[match[2] ?? 'ms'] ?? 1)
  );
}
