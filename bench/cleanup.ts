// `npm run bench:cleanup`: the cleanup job on a large backlog.
//
//  1. Creates a scratch database (edge_auth_bench) on the server of DATABASE_URL
//     (default: the local test server), migrates it, and seeds it with SQL:
//     1,000,000 expired rows and 100,000 live ones (sessions and verification
//     tokens, 90/10), expiries in random order, then VACUUM ANALYZE as
//     autovacuum would have.
//  2. Serves the Worker with `wrangler dev` on 127.0.0.1:8799 against it.
//  3. Baseline: closed-loop clients sign in and fetch their session (1 sign-in,
//     then 3 get-session) for BENCH_BASELINE_MS with no cleanup running.
//  4. Cleanup: the same load while `npm run cleanup -- --until-done` (the cron's
//     job, default limits: 1,000-row batches, 20 s budget per run) clears the
//     backlog run after run; the load stops when it is done.
//  5. Checks the result (no expired row left, every live row kept), prints the
//     figures, stops wrangler and drops the database (BENCH_KEEP=1 keeps it).
//
// Knobs (environment): DATABASE_URL, BENCH_EXPIRED (1000000), BENCH_LIVE
// (100000), BENCH_PORT (8799), BENCH_CONCURRENCY (2), BENCH_BASELINE_MS (30000),
// BENCH_KEEP. Everything talks to 127.0.0.1 only, and every loop is bounded.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrate } from "../scripts/lib/migrate";
import type { CleanupReport } from "../src/jobs/cleanup-expired";
import { redact, withClient, withPassword } from "../scripts/lib/postgres";

const root = path.resolve(import.meta.dirname, "..");
const intEnv = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
};

const EXPIRED = intEnv("BENCH_EXPIRED", 1_000_000);
const LIVE = intEnv("BENCH_LIVE", 100_000);
const PORT = intEnv("BENCH_PORT", 8799);
const CONCURRENCY = Math.max(1, intEnv("BENCH_CONCURRENCY", 2));
const BASELINE_MS = intEnv("BENCH_BASELINE_MS", 30_000);
const KEEP = Boolean(process.env.BENCH_KEEP);
const DB_NAME = "edge_auth_bench";
// The whole benchmark gives up after this long, whatever state it is in.
const DEADLINE_MS = 30 * 60_000;
// Share of the seeded rows that are sessions; the rest are verification tokens.
const SESSION_SHARE = 0.9;
const USERS = 10_000;
const GET_SESSIONS_PER_SIGN_IN = 3;

const serverUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const benchUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
})();
const baseUrl = `http://127.0.0.1:${PORT}`;
const origin = `http://localhost:${PORT}`;
const envFile = path.join(tmpdir(), `edge-auth-bench-${process.pid}.env`);
const persistDir = path.join(tmpdir(), `edge-auth-bench-state-${process.pid}`);
const wranglerLog = path.join(tmpdir(), `edge-auth-bench-wrangler-${process.pid}.log`);

const startedAt = performance.now();
let activeWorker: ChildProcess | undefined;
const log = (line: string) => console.error(`bench: [${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${line}`);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });


// ---------------------------------------------------------------- database

async function createDatabase(): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query(`drop database if exists ${DB_NAME} with (force)`);
    await client.query(`create database ${DB_NAME}`);
  });
  await migrate(benchUrl);
}

async function dropDatabase(): Promise<void> {
  await withClient(serverUrl, (client) => client.query(`drop database if exists ${DB_NAME} with (force)`));
}

async function seed(): Promise<void> {
  const expiredSessions = Math.round(EXPIRED * SESSION_SHARE);
  const liveSessions = Math.round(LIVE * SESSION_SHARE);
  await withClient(benchUrl, async (client) => {
    await client.query(
      `insert into "user" (id, name, email)
       select 'bench-user-' || g, 'Bench User', 'bench-user-' || g || '@example.test' from generate_series(1, $1::int) g`,
      [USERS],
    );
    // Random ids and tokens (as better-auth makes them) and random expiries, so
    // neither the heap nor the primary key is in expiry order.
    const sessions = (kind: string, count: number, expiry: string) =>
      client.query(
        `insert into session (id, expires_at, token, created_at, updated_at, ip_address, user_agent, user_id)
         select md5($1 || g || random()), ${expiry}, md5($1 || g), now() - interval '7 days', now() - interval '7 days',
                '127.0.0.1', 'bench-seed-' || $1, 'bench-user-' || (1 + g % $3::int)
         from generate_series(1, $2::int) g`,
        [kind, count, USERS],
      );
    const verifications = (kind: string, count: number, expiry: string) =>
      client.query(
        `insert into verification (id, identifier, value, expires_at)
         select md5($1 || g || random()), 'bench-' || $1 || ':' || g, md5(random()::text), ${expiry}
         from generate_series(1, $2::int) g`,
        [kind, count],
      );
    // Expired: up to 30 days ago. Live: 1 to 7 days ahead, beyond any run of this benchmark.
    const expired = `now() - interval '1 minute' - random() * interval '30 days'`;
    const live = `now() + interval '1 day' + random() * interval '6 days'`;
    await sessions("expired", expiredSessions, expired);
    await sessions("live", liveSessions, live);
    await verifications("expired", EXPIRED - expiredSessions, expired);
    await verifications("live", LIVE - liveSessions, live);
    await client.query(`vacuum analyze "user", session, verification`);
  });
}

interface Counts {
  expiredSessions: number;
  expiredVerifications: number;
  liveSeededSessions: number;
  liveSeededVerifications: number;
  sessionBytes: number;
}

interface ServerStats {
  walLsn: string;
  checkpoints: number | null;
}

async function serverStats(): Promise<ServerStats> {
  return withClient(benchUrl, async (client) => {
    const wal = await client.query<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`);
    let checkpoints: number | null = null;
    try {
      // PostgreSQL <= 16; 17 moved these counters to pg_stat_checkpointer.
      const { rows } = await client.query<{ n: string }>(`select checkpoints_timed + checkpoints_req as n from pg_stat_bgwriter`);
      checkpoints = Number(rows[0]!.n);
    } catch {
      const { rows } = await client.query<{ n: string }>(`select num_timed + num_requested as n from pg_stat_checkpointer`);
      checkpoints = Number(rows[0]!.n);
    }
    return { walLsn: wal.rows[0]!.lsn, checkpoints };
  });
}

async function walBytesSince(lsn: string): Promise<number> {
  return withClient(benchUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>(`select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) as n`, [lsn]);
    return Number(rows[0]!.n);
  });
}

/** Row counts; "expired" means expired before `asOf` (default: now). */
async function counts(asOf?: Date): Promise<Counts> {
  return withClient(benchUrl, async (client) => {
    const { rows } = await client.query<Record<keyof Counts, string>>(
      `select (select count(*) from session where expires_at < coalesce($1::timestamptz, now())) as "expiredSessions",
              (select count(*) from verification where expires_at < coalesce($1::timestamptz, now())) as "expiredVerifications",
              (select count(*) from session where user_agent = 'bench-seed-live' and expires_at >= now()) as "liveSeededSessions",
              (select count(*) from verification where identifier like 'bench-live:%' and expires_at >= now()) as "liveSeededVerifications",
              pg_total_relation_size('session') as "sessionBytes"`,
      [asOf?.toISOString() ?? null],
    );
    const row = rows[0]!;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as Counts;
  });
}

// ------------------------------------------------------------------ worker

function startWorker(): ChildProcess {
  const out = createWriteStream(wranglerLog);
  // The Worker's secret, in a throwaway env file (wrangler dev's way to set
  // secrets without a .dev.vars in the checkout).
  writeFileSync(envFile, `APP_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      path.join(root, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(PORT),
      "--var",
      `AUTH_BASE_URL:${origin}/api`,
      "--var",
      `TRUSTED_ORIGINS:${origin},${baseUrl}`,
      // The bench's clients sign in without reading mail; what it measures is
      // the database, not the verification flow.
      "--var",
      "REQUIRE_EMAIL_VERIFICATION:false",
      "--env-file",
      envFile,
      "--persist-to",
      persistDir,
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
    ],
    {
      cwd: root,
      // Its own process group, so stopping it also stops the workerd it starts.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(benchUrl),
        WRANGLER_SEND_METRICS: "false",
      },
    },
  );
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function waitForWorker(child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}); see ${wranglerLog}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(`wrangler dev did not answer /api/health within 120 s; see ${wranglerLog}`);
}

// -------------------------------------------------------------------- load

type Op = "sign-in" | "get-session";

interface Sample {
  op: Op;
  /** When the request was sent (performance.now()). */
  at: number;
  ms: number;
  ok: boolean;
  /** HTTP status, or "network" when the request itself failed. */
  status: number | "network";
}

const PASSWORD = "correct horse battery staple";

async function request(pathname: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("origin", origin);
  // A client address per request, as from many users: the per-client rate
  // limit on sign-in (10 a minute) is not what this measures.
  headers.set("cf-connecting-ip", `2001:db8:${randomBytes(2).toString("hex")}::${randomBytes(2).toString("hex")}`);
  if (init.cookie) headers.set("cookie", init.cookie);
  return fetch(`${baseUrl}${pathname}`, { ...init, headers, signal: AbortSignal.timeout(30_000) });
}

function postJson(pathname: string, body: unknown): Promise<Response> {
  return request(pathname, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");

async function signUpClients(): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const email = `bench-client-${i}-${randomBytes(4).toString("hex")}@example.test`;
    const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Bench Client" });
    if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    emails.push(email);
  }
  return emails;
}

/** One closed-loop client: sign in, then read the session a few times; repeat until stopped. */
async function client(email: string, samples: Sample[], stop: { now: boolean }, maxIterations: number): Promise<void> {
  for (let i = 0; i < maxIterations && !stop.now; i++) {
    let started = performance.now();
    let cookie = "";
    let ok = false;
    let status: Sample["status"] = "network";
    try {
      const response = await postJson("/api/auth/sign-in/email", { email, password: PASSWORD });
      status = response.status;
      ok = response.status === 200;
      cookie = cookieOf(response);
      await response.arrayBuffer();
    } catch {
      ok = false;
    }
    samples.push({ op: "sign-in", at: started, ms: performance.now() - started, ok, status });
    if (!ok) continue;
    for (let j = 0; j < GET_SESSIONS_PER_SIGN_IN && !stop.now; j++) {
      started = performance.now();
      status = "network";
      try {
        const response = await request("/api/auth/get-session", { cookie });
        status = response.status;
        const body = (await response.json()) as { session?: { id: string } } | null;
        ok = response.status === 200 && Boolean(body?.session?.id);
      } catch {
        ok = false;
      }
      samples.push({ op: "get-session", at: started, ms: performance.now() - started, ok, status });
    }
  }
}

interface LockWaits {
  /** pg_stat_activity snapshots taken. */
  samples: number;
  /** Snapshots in which some backend of the bench database waited on a lock. */
  withWaits: number;
  /** Most backends seen waiting on a lock at once. */
  max: number;
}

/** Every 100 ms, counts backends of the bench database waiting on a lock (heavyweight: row, tuple, relation). */
async function sampleLockWaits(stop: { now: boolean }, maxSamples: number): Promise<LockWaits> {
  const waits: LockWaits = { samples: 0, withWaits: 0, max: 0 };
  await withClient(benchUrl, async (client) => {
    for (let i = 0; i < maxSamples && !stop.now; i++) {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
      );
      const n = rows[0]!.n;
      waits.samples += 1;
      if (n > 0) waits.withWaits += 1;
      waits.max = Math.max(waits.max, n);
      await sleep(100);
    }
  });
  return waits;
}

/**
 * Runs the clients while `during` runs. Only requests sent after `mark()` (by
 * default: from the start) count, so `during` can leave out its own start-up.
 */
async function runLoad<T>(
  emails: string[],
  during: (mark: () => void) => Promise<T>,
): Promise<{ samples: Sample[]; ms: number; result: T; lockWaits: LockWaits }> {
  const samples: Sample[] = [];
  const stop = { now: false };
  let from = performance.now();
  const clients = emails.map((email) => client(email, samples, stop, 1_000_000));
  const locks = sampleLockWaits(stop, 36_000);
  let result: T;
  let until: number;
  try {
    result = await during(() => {
      from = performance.now();
    });
  } finally {
    until = performance.now();
    stop.now = true;
    await Promise.all(clients);
  }
  return { samples: samples.filter((s) => s.at >= from && s.at < until), ms: until - from, result, lockWaits: await locks };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface LatencyRow {
  phase: string;
  op: Op;
  n: number;
  errors: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function summarize(phase: string, samples: Sample[], ms: number): LatencyRow[] {
  return (["sign-in", "get-session"] as const).map((op) => {
    const mine = samples.filter((s) => s.op === op);
    const good = mine.filter((s) => s.ok).map((s) => s.ms).sort((a, b) => a - b);
    return {
      phase,
      op,
      n: mine.length,
      errors: mine.length - good.length,
      perSecond: (good.length / ms) * 1000,
      p50: percentile(good, 50),
      p95: percentile(good, 95),
      p99: percentile(good, 99),
      max: good.at(-1) ?? NaN,
    };
  });
}

// ----------------------------------------------------------------- cleanup

/** One line of `npm run cleanup`: the job's report plus the run's number and outcome. */
interface RunLine extends CleanupReport {
  ok: boolean;
  run: number;
  now: string;
  error?: string;
}

/** `npm run cleanup -- --until-done` against the bench database; its JSON lines, one per run. */
async function runCleanupProcess(mark: () => void): Promise<{ runs: RunLine[]; wallMs: number; exitCode: number | null }> {
  let started = performance.now();
  const child = spawn(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/cleanup.ts", "--until-done"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: benchUrl, CLEANUP_BATCH_SIZE: "", CLEANUP_BUDGET_MS: "" },
  });
  const runs: RunLine[] = [];
  let buffered = "";
  const collect = (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) {
      // Printed once tsx has compiled the script, right before the first connect:
      // the load is measured from here, not during the process start-up.
      if (line.startsWith("cleanup: ")) {
        started = performance.now();
        mark();
      }
      if (!line.startsWith("{")) continue;
      const run = JSON.parse(line) as RunLine;
      runs.push(run);
      const deleted = Object.values(run.deleted).reduce((a, b) => a + b, 0);
      log(`cleanup run ${run.run}: ${run.ok ? "ok" : `FAILED ${run.error}`}, ${fmt(deleted)} rows, ${run.batches} batches, ${fmt(run.durationMs)} ms`);
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { runs, wallMs: performance.now() - started, exitCode };
}

// -------------------------------------------------------------------- main

async function main(): Promise<void> {
  log(`database ${redact(benchUrl)}; seeding ${fmt(EXPIRED)} expired + ${fmt(LIVE)} live rows`);
  await createDatabase();
  const seedStarted = performance.now();
  await seed();
  const seedMs = performance.now() - seedStarted;
  const before = await counts();
  log(`seeded in ${fmt(seedMs / 1000, 1)} s; session table ${fmt(before.sessionBytes / 2 ** 20)} MiB`);

  const worker = startWorker();
  activeWorker = worker;
  try {
    await waitForWorker(worker);
    log(`wrangler dev ready on ${baseUrl} (log: ${wranglerLog})`);
    const emails = await signUpClients();
    // Warm-up: first requests compile and connect; keep them out of the figures.
    await runLoad(emails, async () => sleep(3_000));

    log(`baseline: ${CONCURRENCY} clients for ${fmt(BASELINE_MS / 1000)} s, no cleanup running`);
    const baseline = await runLoad(emails, async () => sleep(BASELINE_MS));

    log(`cleanup: npm run cleanup -- --until-done, same load running`);
    const statsBefore = await serverStats();
    const during = await runLoad(emails, (mark) => runCleanupProcess(mark));
    const cleanup = during.result;
    const walBytes = await walBytesSince(statsBefore.walLsn);
    const statsAfter = await serverStats();
    const checkpoints =
      statsBefore.checkpoints === null || statsAfter.checkpoints === null ? "?" : String(statsAfter.checkpoints - statsBefore.checkpoints);

    // As of the last run's `now`: rows the load itself writes (the sign-ups'
    // one-minute mail throttle rows) may expire after that, and are the next
    // run's work.
    const lastRun = cleanup.runs.at(-1);
    const after = await counts(lastRun ? new Date(lastRun.now) : undefined);
    const deletedSessions = cleanup.runs.reduce((a, r) => a + (r.deleted.session ?? 0), 0);
    const deletedVerifications = cleanup.runs.reduce((a, r) => a + (r.deleted.verification ?? 0), 0);
    const deleted = deletedSessions + deletedVerifications;
    const jobMs = cleanup.runs.reduce((a, r) => a + r.durationMs, 0);
    const batches = cleanup.runs.reduce((a, r) => a + r.batches, 0);
    const longestBatch = Math.max(...cleanup.runs.map((r) => r.longestBatchMs));
    const failed = cleanup.runs.filter((r) => !r.ok).length;

    const checks = [
      ["cleanup exited 0, no failed run", cleanup.exitCode === 0 && failed === 0],
      // Beyond the seeded rows, the job may also delete what the load itself
      // wrote and let expire (the sign-ups' one-minute mail throttle rows).
      [`deleted the ${fmt(EXPIRED)} seeded expired rows (+${fmt(deleted - EXPIRED)} the load wrote and let expire)`, deleted >= EXPIRED && deleted - EXPIRED <= CONCURRENCY * 2],
      ["no expired row left", after.expiredSessions === 0 && after.expiredVerifications === 0],
      [
        `every live seeded row kept (${fmt(LIVE)})`,
        after.liveSeededSessions + after.liveSeededVerifications === LIVE,
      ],
      ["no request failed", [...baseline.samples, ...during.samples].every((s) => s.ok)],
    ] as const;

    const rows = [...summarize("no cleanup", baseline.samples, baseline.ms), ...summarize("during cleanup", during.samples, during.ms)];
    const ms = (n: number) => (Number.isFinite(n) ? fmt(n, 1) : "-");
    const out: string[] = [];
    out.push("");
    out.push(`# Cleanup benchmark (${new Date().toISOString()})`);
    out.push(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}, ${await serverVersion()}`);
    out.push(
      `seed: ${fmt(EXPIRED)} expired + ${fmt(LIVE)} live rows (${fmt(SESSION_SHARE * 100)}% sessions, rest verification), ${fmt(seedMs / 1000, 1)} s`,
    );
    out.push("");
    out.push("## Cleanup job (npm run cleanup -- --until-done; batch 1,000 rows, budget 20 s per run)");
    out.push(`| figure | value |`);
    out.push(`|---|---|`);
    out.push(`| rows deleted | ${fmt(deleted)} (session ${fmt(deletedSessions)}, verification ${fmt(deletedVerifications)}) |`);
    out.push(`| runs (cron invocations needed) | ${cleanup.runs.length} (${cleanup.runs.filter((r) => r.stoppedOnBudget).length} stopped on budget) |`);
    out.push(`| batches | ${fmt(batches)} |`);
    out.push(`| total time in the job | ${fmt(jobMs / 1000, 2)} s |`);
    out.push(`| wall time incl. connects between runs | ${fmt(cleanup.wallMs / 1000, 2)} s |`);
    out.push(`| rows per second (job time) | ${fmt(deleted / (jobMs / 1000))} |`);
    out.push(`| mean batch | ${ms(jobMs / batches)} ms |`);
    out.push(`| longest single batch | ${ms(longestBatch)} ms |`);
    out.push(`| WAL written during the cleanup phase (incl. the load's) | ${fmt(walBytes / 2 ** 20)} MiB, ${checkpoints} checkpoint(s) |`);
    out.push("");
    out.push("| run | deleted | batches | longest batch ms | duration ms | rows/s | stopped on budget |");
    out.push("|---|---|---|---|---|---|---|");
    for (const r of cleanup.runs) {
      const d = Object.values(r.deleted).reduce((a, b) => a + b, 0);
      out.push(
        `| ${r.run} | ${fmt(d)} | ${fmt(r.batches)} | ${ms(r.longestBatchMs)} | ${fmt(r.durationMs)} | ${fmt(d / (r.durationMs / 1000))} | ${r.stoppedOnBudget ? "yes" : "no"} |`,
      );
    }
    out.push("");
    out.push(
      `## Requests (${CONCURRENCY} closed-loop clients through wrangler dev: 1 sign-in then ${GET_SESSIONS_PER_SIGN_IN} get-session, repeated; latencies in ms)`,
    );
    out.push(`baseline ${fmt(baseline.ms / 1000, 1)} s with no cleanup; second phase ${fmt(during.ms / 1000, 1)} s while the cleanup ran`);
    out.push("| phase | request | n | errors | req/s | p50 | p95 | p99 | max |");
    out.push("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      out.push(`| ${r.phase} | ${r.op} | ${fmt(r.n)} | ${r.errors} | ${fmt(r.perSecond, 1)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} |`);
    }
    for (const op of ["sign-in", "get-session"] as const) {
      const a = rows.find((r) => r.phase === "no cleanup" && r.op === op)!;
      const b = rows.find((r) => r.phase === "during cleanup" && r.op === op)!;
      out.push(`p95 ${op}: ${ms(a.p95)} ms without cleanup, ${ms(b.p95)} ms during cleanup (x${fmt(b.p95 / a.p95, 2)})`);
    }
    for (const [phase, load] of [
      ["no cleanup", baseline],
      ["during cleanup", during],
    ] as const) {
      const w = load.lockWaits;
      out.push(
        `lock waits (${phase}): backends waiting on a lock in ${w.withWaits} of ${w.samples} pg_stat_activity snapshots (every 100 ms), at most ${w.max} at once`,
      );
    }
    const failures = new Map<string, number>();
    for (const sample of [...baseline.samples, ...during.samples].filter((x) => !x.ok)) {
      const key = `${sample.op} ${sample.status === 200 ? "200 without a session" : sample.status}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    if (failures.size > 0) out.push(`failed requests: ${[...failures].map(([k, n]) => `${k} x${n}`).join(", ")}`);
    out.push("");
    out.push("## Checks");
    for (const [name, ok] of checks) out.push(`- ${ok ? "ok  " : "FAIL"} ${name}`);
    console.log(out.join("\n"));
    if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    await stopWorker(worker);
    rmSync(persistDir, { recursive: true, force: true });
    rmSync(envFile, { force: true });
  }
}

async function serverVersion(): Promise<string> {
  return withClient(benchUrl, async (client) => {
    const { rows } = await client.query<{ v: string }>(`select current_setting('server_version') as v`);
    return `PostgreSQL ${rows[0]!.v}`;
  });
}

const deadline = setTimeout(() => {
  console.error(`bench: gave up after ${DEADLINE_MS / 60_000} minutes`);
  if (activeWorker?.pid !== undefined && activeWorker.exitCode === null) {
    try {
      process.kill(-activeWorker.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

try {
  await main();
} catch (err) {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  if (KEEP) log(`kept database ${redact(benchUrl)}`);
  else await dropDatabase().catch((err) => console.error(`bench: could not drop ${DB_NAME}: ${err}`));
}
