// The cleanup cron, driven through the Worker's own `scheduled` handler against
// the real test database.
//
// Other test files run at the same time against the same database and create
// live sessions (expiring days from the real now). These tests therefore run
// the job with `now` = 2001-01-01 and seed their expired rows in the year 2000:
// nothing else in the suite writes an expiry that old, so the job's session
// counts are exactly this file's rows, and no other file's live row is ever
// "expired before now". Every row seeded here is tagged (its own user, a
// `cleanup-test:` verification identifier) and removed before each test.
//
// Two things outside this file can still delete those rows:
//  - another copy of this file (a second checkout or terminal running the
//    suite on the same database): its runs delete everything expired before
//    2001 too. The file holds a PostgreSQL advisory lock while it runs, so
//    copies take turns.
//  - better-auth itself: looking up a verification token deletes every expired
//    verification row (at most once a minute per isolate) unless
//    `verification.disableCleanup` is set, so another file's sign-up flow may
//    remove this file's expired verification rows first. Exact counts are
//    therefore asserted on sessions; for verification rows the tests assert
//    the end state (expired gone, live kept) and "never more than seeded".
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { connect, type Database } from "../src/db/client";
import worker from "../src/index";
import { CleanupError, cleanupExpired, type CleanupReport } from "../src/jobs";
import { Client } from "pg";
import { downHyperdrive, envWith, loseConnectionMidRequest, withSql, type EnvOverrides } from "./helpers";

const NOW = new Date("2001-01-01T00:00:00.000Z");
const EXPIRED_FROM = "2000-01-01T00:00:00Z";
const TAG = `cleanup-test-${crypto.randomUUID()}`;
const USER_ID = `${TAG}-user`;
const VERIFICATION_PREFIX = `cleanup-test:${TAG}`;

/** The job's one JSON log line: its report plus what the run was. */
interface CleanupLine extends CleanupReport {
  event: "cleanup_expired";
  ok: boolean;
  trigger: string;
  cron: string;
  now: string;
  batchSize: number;
  budgetMs: number;
  error?: string;
  errorKind?: string;
}

let lines: { stream: "log" | "error"; text: string }[] = [];

/** The `cleanup_expired` JSON lines logged since the test started. */
function cleanupLines(): (CleanupLine & { stream: "log" | "error" })[] {
  return lines.flatMap(({ stream, text }) => {
    if (!text.startsWith("{")) return [];
    const parsed = JSON.parse(text) as CleanupLine;
    return parsed.event === "cleanup_expired" ? [{ ...parsed, stream }] : [];
  });
}

/** One cron invocation, exactly as the runtime delivers it. */
async function runCron(overrides: EnvOverrides = {}, scheduledTime: Date = NOW): Promise<void> {
  const controller = createScheduledController({ scheduledTime, cron: "0 * * * *" });
  const ctx = createExecutionContext();
  try {
    await worker.scheduled(controller, envWith(overrides), ctx);
  } finally {
    await waitOnExecutionContext(ctx);
  }
}

/** Runs the cron once and returns its one log line (which must say ok). */
async function runCronOk(overrides: EnvOverrides = {}): Promise<CleanupLine> {
  const before = cleanupLines().length;
  await runCron(overrides);
  const logged = cleanupLines().slice(before);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ ok: true, stream: "log" });
  return logged[0]!;
}

/** Sessions of this file's user, `count` of them expiring one second apart from `from`. */
async function seedSessions(label: string, count: number, from: string): Promise<void> {
  await withSql((sql) =>
    sql.query(
      `insert into session (id, expires_at, token, updated_at, user_id)
       select $1 || '-' || g, $2::timestamptz + (g - 1) * interval '1 second', $1 || '-token-' || g, now(), $3
       from generate_series(1, $4::int) g`,
      [`${TAG}-${label}`, from, USER_ID, count],
    ),
  );
}

async function seedVerifications(label: string, count: number, from: string): Promise<void> {
  await withSql((sql) =>
    sql.query(
      `insert into verification (id, identifier, value, expires_at)
       select $1 || '-' || g, $2, 'value', $3::timestamptz + (g - 1) * interval '1 second'
       from generate_series(1, $4::int) g`,
      [`${TAG}-${label}`, `${VERIFICATION_PREFIX}:${label}`, from, count],
    ),
  );
}

/** Ids of this file's rows still in the database, sorted. */
async function remaining(): Promise<{ session: string[]; verification: string[] }> {
  return withSql(async (sql) => {
    const sessions = await sql.query<{ id: string }>(`select id from session where user_id = $1 order by expires_at, id`, [
      USER_ID,
    ]);
    const verifications = await sql.query<{ id: string }>(
      `select id from verification where identifier like $1 order by expires_at, id`,
      [`${VERIFICATION_PREFIX}:%`],
    );
    return { session: sessions.rows.map((r) => r.id), verification: verifications.rows.map((r) => r.id) };
  });
}

// Any constant; only copies of this file use it.
const FILE_LOCK = 0x636c6e70; // "clnp"
let lockHolder: Client | undefined;

beforeAll(async () => {
  lockHolder = new Client({ connectionString: env.HYPERDRIVE.connectionString });
  lockHolder.on("error", () => undefined);
  await lockHolder.connect();
  await lockHolder.query("select pg_advisory_lock($1)", [FILE_LOCK]);
  await withSql((sql) =>
    sql.query(`insert into "user" (id, name, email) values ($1, 'Cleanup Test', $2)`, [USER_ID, `${TAG}@example.test`]),
  );
});

afterAll(async () => {
  try {
    await withSql(async (sql) => {
      await sql.query(`delete from "user" where id = $1`, [USER_ID]); // cascades to its sessions
      await sql.query(`delete from verification where identifier like $1`, [`${VERIFICATION_PREFIX}:%`]);
    });
  } finally {
    // Closing the session releases the advisory lock.
    await lockHolder?.end().catch(() => undefined);
  }
});

beforeEach(async () => {
  await withSql(async (sql) => {
    await sql.query(`delete from session where user_id = $1`, [USER_ID]);
    await sql.query(`delete from verification where identifier like $1`, [`${VERIFICATION_PREFIX}:%`]);
  });
  lines = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push({ stream: "log", text: args.join(" ") }));
  vi.spyOn(console, "error").mockImplementation(
    (...args: unknown[]) => void lines.push({ stream: "error", text: args.join(" ") }),
  );
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("scheduled cleanup", () => {
  it("deletes expired sessions and verification tokens, and only those", async () => {
    await seedSessions("old", 3, EXPIRED_FROM);
    await seedSessions("second-before", 1, "2000-12-31T23:59:59Z");
    await seedSessions("exactly-now", 1, NOW.toISOString());
    await seedSessions("second-after", 1, "2001-01-01T00:00:01Z");
    await seedSessions("next-week", 1, new Date(Date.now() + 7 * 86_400_000).toISOString()); // like a fresh sign-in
    await seedSessions("future", 1, "2099-01-01T00:00:00Z");
    await seedVerifications("old", 3, EXPIRED_FROM);
    await seedVerifications("future", 1, "2099-01-01T00:00:00Z");

    const line = await runCronOk();

    expect(line).toMatchObject({
      trigger: "cron",
      cron: "0 * * * *",
      now: NOW.toISOString(),
      batchSize: 1000,
      budgetMs: 20000,
      deleted: { session: 4 },
      batches: 2,
      largestBatchRows: 4,
      stoppedOnBudget: false,
    });
    expect(line.deleted.verification).toBeLessThanOrEqual(3);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(await remaining()).toEqual({
      session: [`${TAG}-exactly-now-1`, `${TAG}-second-after-1`, `${TAG}-next-week-1`, `${TAG}-future-1`],
      verification: [`${TAG}-future-1`],
    });
  });

  it("deletes in batches no larger than CLEANUP_BATCH_SIZE", async () => {
    await seedSessions("old", 23, EXPIRED_FROM);
    await seedVerifications("old", 7, EXPIRED_FROM);

    const line = await runCronOk({ CLEANUP_BATCH_SIZE: "5" });

    expect(line).toMatchObject({ batchSize: 5, deleted: { session: 23 }, stoppedOnBudget: false });
    expect(line.largestBatchRows).toBe(5);
    // Sessions 5+5+5+5+3: every batch full but the last. Verification the same
    // way (5+2 unless better-auth got to some of them first).
    const verificationBatches = Math.floor(line.deleted.verification / 5) + 1;
    expect(line.deleted.verification).toBeLessThanOrEqual(7);
    expect(line.batches).toBe(5 + verificationBatches);
    expect(await remaining()).toEqual({ session: [], verification: [] });
  });

  it("lets two overlapping runs split the work: every row deleted exactly once, no errors", async () => {
    const sessions = 4_000;
    const verifications = 1_000;
    await seedSessions("old", sessions, EXPIRED_FROM);
    await seedVerifications("old", verifications, EXPIRED_FROM);

    const results = await Promise.allSettled([runCron({ CLEANUP_BATCH_SIZE: "10" }), runCron({ CLEANUP_BATCH_SIZE: "10" })]);

    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    const logged = cleanupLines();
    expect(logged).toHaveLength(2);
    expect(logged.every((l) => l.ok && l.stream === "log" && !l.stoppedOnBudget)).toBe(true);
    const [a, b] = logged as unknown as [CleanupLine, CleanupLine];
    // rowCount counts rows a statement actually deleted: the sums prove no row was counted twice.
    expect(a.deleted.session + b.deleted.session).toBe(sessions);
    expect(a.deleted.verification + b.deleted.verification).toBeLessThanOrEqual(verifications);
    // Both runs did part of it: they really overlapped, and neither waited for the other to finish.
    expect(a.deleted.session).toBeGreaterThan(0);
    expect(b.deleted.session).toBeGreaterThan(0);
    expect(a.largestBatchRows).toBeLessThanOrEqual(10);
    expect(b.largestBatchRows).toBeLessThanOrEqual(10);
    expect(await remaining()).toEqual({ session: [], verification: [] });
  });

  it("stops when its time budget runs out, and the next run carries on where it stopped", async () => {
    const sessions = 2_000;
    await seedSessions("old", sessions, EXPIRED_FROM);

    // One row per batch and a 20 ms budget: 2,000 round trips to the database cannot fit.
    const first = await runCronOk({ CLEANUP_BATCH_SIZE: "1", CLEANUP_BUDGET_MS: "20" });
    expect(first.stoppedOnBudget).toBe(true);
    expect(first.largestBatchRows).toBe(1);
    // Sessions come first, and the first batch always runs.
    expect(first.deleted.session).toBeGreaterThanOrEqual(1);
    expect(first.deleted.session).toBeLessThan(sessions);
    // Oldest first: what is left is exactly the newest rows.
    const left = (await remaining()).session;
    expect(left).toHaveLength(sessions - first.deleted.session);
    expect(left[0]).toBe(`${TAG}-old-${first.deleted.session + 1}`);

    const second = await runCronOk();
    expect(second).toMatchObject({ stoppedOnBudget: false, deleted: { session: sessions - first.deleted.session } });
    expect(await remaining()).toEqual({ session: [], verification: [] });
  });

  it("fails with a clear log line and deletes nothing when the database is down; the next run recovers", async () => {
    await seedSessions("old", 3, EXPIRED_FROM);
    await seedVerifications("old", 2, EXPIRED_FROM);

    await expect(runCron({ HYPERDRIVE: downHyperdrive() })).rejects.toThrow(/connect failed/);

    const [failure, ...others] = cleanupLines();
    expect(others).toHaveLength(0);
    expect(failure).toMatchObject({
      stream: "error",
      ok: false,
      errorKind: "database_unavailable",
      error: expect.stringMatching(/connect failed/),
      deleted: { session: 0, verification: 0 },
      batches: 0,
    });
    expect((await remaining()).session).toHaveLength(3);

    const recovery = await runCronOk();
    expect(recovery.deleted.session).toBe(3);
    expect(recovery.deleted.verification).toBeLessThanOrEqual(2);
    expect(await remaining()).toEqual({ session: [], verification: [] });
  });

  it("reports what it had deleted when the connection is lost mid-run, and the next run finishes", async () => {
    await seedSessions("old", 20, EXPIRED_FROM);
    // Sessions go first; the verification batch then waits on this table lock
    // and its backend is terminated: a real connection loss, mid-run.
    const { result: error, terminated } = await loseConnectionMidRequest("lock table verification in share row exclusive mode", [], () =>
      runCron({ CLEANUP_BATCH_SIZE: "5" }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(terminated).toBe(true);
    expect(error).toBeInstanceOf(CleanupError);
    const [failure, ...others] = cleanupLines();
    expect(others).toHaveLength(0);
    expect(failure).toMatchObject({
      stream: "error",
      ok: false,
      errorKind: "database_unavailable",
      deleted: { session: 5, verification: 0 },
      batches: 1,
    });
    expect((await remaining()).session).toHaveLength(15);

    const recovery = await runCronOk({ CLEANUP_BATCH_SIZE: "5" });
    expect(recovery.deleted.session).toBe(15);
    expect((await remaining()).session).toEqual([]);
  });

  it("falls back to the default limits when the knobs are invalid", async () => {
    const line = await runCronOk({ CLEANUP_BATCH_SIZE: "lots", CLEANUP_BUDGET_MS: "-5" });
    expect(line).toMatchObject({ batchSize: 1000, budgetMs: 20000 });
    expect(lines.some((l) => l.stream === "error" && l.text.startsWith("config_invalid: CLEANUP_BATCH_SIZE"))).toBe(true);
  });
});

describe("cleanupExpired, called directly as (db, now, limits)", () => {
  async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const connection = await connect(env.HYPERDRIVE.connectionString);
    try {
      return await fn(connection.db);
    } finally {
      await connection.close();
    }
  }

  it("checks its budget before every batch, with an injected clock", async () => {
    await seedSessions("old", 50, EXPIRED_FROM);
    let t = 0;
    const clock = () => (t += 10); // every reading is 10 ms later
    const report = await withDb((db) => cleanupExpired(db, NOW, { batchSize: 5, budgetMs: 45 }, clock));
    // Readings: start 10; then per batch a budget check and two timings (30 ms
    // per batch): checks at 20, 50 (= 40 ms), 80 (= 70 ms > 45) -> two batches.
    expect(report).toMatchObject({ batches: 2, deleted: { verification: 0 }, stoppedOnBudget: true });
    expect((await remaining()).session).toHaveLength(50 - report.deleted.session);
  });

});
