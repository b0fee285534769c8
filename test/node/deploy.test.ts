// `npm run deploy -- --dry-run` as an operator runs it: the real script, the
// real migration runner against fresh PostgreSQL databases, the real
// `wrangler deploy --dry-run` (offline, no Cloudflare credentials).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  checkDeployConfig,
  missingSecrets,
  parseSecretList,
  PLACEHOLDER_HYPERDRIVE_ID,
  requiredSecretsFromExample,
  scrubPassword,
  type DeployCheckInput,
  type WranglerFacts,
} from "../../scripts/lib/deploy-config";
import { checkDeployWorkflow, parseWorkflow, YamlError } from "../../scripts/lib/deploy-workflow";
import { MIGRATION_LOCK_KEY, MIGRATIONS_FOLDER } from "../../scripts/lib/migrate";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../scripts/lib/postgres";

const root = path.resolve(import.meta.dirname, "../..");
const serverUrl = inject("databaseUrl");

// ---------------------------------------------------------------------------
// Helpers

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const show = (run: Run) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

/** Names the deploy script reads from its environment; the tests set them explicitly. */
const wranglerVarNames = [...readFileSync(path.join(root, "wrangler.toml"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((m) => m[1]!);
const CONTROLLED = [
  "DATABASE_URL",
  "MIGRATION_DATABASE_URL",
  "CLOUDFLARE_API_TOKEN",
  "CLOUDFLARE_ACCOUNT_ID",
  "CLOUDFLARE_API_BASE_URL",
  "EDGE_AUTH_MIGRATIONS_DIR",
  "NODE_ENV",
];

/** `npm run deploy -- <args>` with a clean environment plus `env`. */
function deploy(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...CONTROLLED, ...wranglerVarNames]) delete childEnv[name];
  for (const name of Object.keys(childEnv)) if (name.startsWith("VITEST")) delete childEnv[name];
  Object.assign(childEnv, { WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1" }, env);
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "deploy", "--", ...args], { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const created: string[] = [];
const embedded: EmbeddedPostgres[] = [];

/**
 * A new, empty database: on the test server when it can CREATE DATABASE
 * (dropped after the file's tests), else a fresh embedded PGlite of its own.
 */
async function createDatabase(): Promise<string> {
  if (!(await canCreateDatabases)) {
    const server = await startEmbeddedPostgres();
    embedded.push(server);
    return server.url;
  }
  const name = `edge_auth_deploy_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await query(serverUrl, `create database "${name}"`);
  created.push(name);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Rows of drizzle's bookkeeping table (0 when it does not exist). */
async function appliedHashes(url: string): Promise<string[]> {
  const [exists] = await query<{ t: string | null }>(url, `select to_regclass('drizzle.__drizzle_migrations')::text as t`);
  if (!exists?.t) return [];
  return (await query<{ hash: string }>(url, `select hash from drizzle.__drizzle_migrations order by created_at`)).map((r) => r.hash);
}

async function tableExists(url: string, name: string): Promise<boolean> {
  const [row] = await query<{ t: string | null }>(url, `select to_regclass($1)::text as t`, [name]);
  return row?.t != null;
}

/** Nothing at all was created: no bookkeeping schema, no tables. */
async function untouched(url: string): Promise<boolean> {
  const [row] = await query<{ n: number }>(
    url,
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`,
  );
  const [schema] = await query<{ n: number }>(url, `select count(*)::int as n from pg_namespace where nspname = 'drizzle'`);
  return row!.n === 0 && schema!.n === 0;
}

/**
 * Production-looking values for the [vars] that hold local development
 * addresses: http → https, localhost / 127.0.0.1[:port] → example.com.
 */
function productionVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [, name, value] of readFileSync(path.join(root, "wrangler.toml"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) {
    const production = value!.replace(/http:\/\//g, "https://").replace(/\b(127\.\d+\.\d+\.\d+|localhost)(:\d+)?/g, "example.com");
    if (production !== value) vars[name!] = production;
  }
  return vars;
}

/** A stand-in for the Cloudflare API on 127.0.0.1 that knows one Worker's secrets. */
async function fakeCloudflareApi(secrets: { name: string; type: string }[]) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && /\/workers\/scripts\/[^/]+\/secrets$/.test(req.url ?? "")) {
      res.end(JSON.stringify({ success: true, errors: [], messages: [], result: secrets }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ success: false, errors: [{ code: 7003, message: "not in this test" }], messages: [], result: null }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const journalEntries = () =>
  (JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as { entries: { idx: number; when: number; tag: string }[] })
    .entries;

const ranWrangler = (run: Run) => /3\/3 wrangler|Total Upload|wrangler \d+\.\d+/.test(run.stdout + run.stderr);
const built = (run: Run) => run.stdout.includes("--dry-run: exiting now.") && run.stdout.includes("dry run done");
const appliedCount = (run: Run) => Number(/migrations: (\d+) applied/.exec(run.stdout)?.[1] ?? NaN);

/** The deploy's own bundle report: KiB gzip. */
function bundleGzipKiB(run: Run): number {
  const match = /bundle: ([\d.]+) KiB raw, ([\d.]+) KiB gzip/.exec(run.stdout);
  if (!match) throw new Error(`no bundle report\n${show(run)}`);
  return Number(match[2]);
}

// Embedded PGlite (the setup's last resort) has a single database.
const canCreateDatabases = query(serverUrl, `select 1 from pg_roles where rolname = current_user and (rolcreatedb or rolsuper)`)
  .then((rows) => rows.length === 1)
  .catch(() => false);

afterAll(async () => {
  for (const server of embedded) await server.stop();
  for (const name of created) await query(serverUrl, `drop database if exists "${name}" with (force)`).catch(() => undefined);
});

// ---------------------------------------------------------------------------

describe("npm run deploy", () => {
  const pending = journalEntries().length;

  it("migrates a fresh database and builds the Worker; run again, it applies nothing and builds again", async () => {
    const url = await createDatabase();
    const first = await deploy(["--dry-run"], { MIGRATION_DATABASE_URL: url });
    expect(first.code, show(first)).toBe(0);
    expect(appliedCount(first), show(first)).toBe(pending);
    expect(built(first), show(first)).toBe(true);
    expect(await appliedHashes(url)).toHaveLength(pending);
    expect(await tableExists(url, "public.user")).toBe(true);
    // The repository's placeholder Hyperdrive id is a warning in a dry run.
    expect(first.stderr).toContain(`placeholder ${PLACEHOLDER_HYPERDRIVE_ID}`);
    expect(first.stderr).toContain("a real deploy stops here");

    const gzipKiB = bundleGzipKiB(first);
    console.log(`deploy dry run: bundle ${gzipKiB} KiB gzip`);
    expect(gzipKiB).toBeLessThan(1024);

    const second = await deploy(["--dry-run"], { MIGRATION_DATABASE_URL: url });
    expect(second.code, show(second)).toBe(0);
    expect(second.stdout).toContain(`migrations: 0 applied, ${pending} already applied`);
    expect(built(second), show(second)).toBe(true);
    expect(await appliedHashes(url)).toHaveLength(pending);
  });

  it("run twice at once: the second waits for the lock and applies nothing, each migration is applied once", async () => {
    const url = await createDatabase();
    // Hold the migration lock so that both runs are provably waiting on it at
    // the same time, then let them go.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    let runs: Run[];
    try {
      await holder.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      const exited: Run[] = [];
      const started = [1, 2].map(() => deploy(["--dry-run"], { MIGRATION_DATABASE_URL: url }).then((run) => (exited.push(run), run)));
      const name = new URL(url).pathname.slice(1);
      for (let waiting = 0; waiting < 2; ) {
        if (exited.length) throw new Error(`a run ended while the lock was held\n${show(exited[0]!)}`);
        await new Promise((r) => setTimeout(r, 100));
        const [row] = await query<{ n: number }>(
          serverUrl,
          `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
            where l.locktype = 'advisory' and not l.granted and d.datname = $1`,
          [name],
        );
        waiting = row!.n;
      }
      await holder.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
      runs = await Promise.all(started);
    } finally {
      await holder.end();
    }
    for (const run of runs) {
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout).toContain("waiting for the migration lock");
      expect(built(run), show(run)).toBe(true);
    }
    expect(runs.map(appliedCount).sort()).toEqual([0, pending]);
    const hashes = await appliedHashes(url);
    expect(hashes).toHaveLength(pending);
    expect(new Set(hashes).size).toBe(pending);
  });

  it("a failing migration is rolled back, the ones before it stay, and wrangler is not run", async () => {
    const url = await createDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), "edge-auth-migrations-"));
    try {
      cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
      const journalPath = path.join(dir, "meta/_journal.json");
      const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number; when: number; tag: string }[] };
      const last = journal.entries.at(-1)!;
      const extra = {
        ok: `CREATE TABLE "deploy_test_ok" ("id" integer PRIMARY KEY);`,
        // Two statements that succeed, then one that fails: all three must go.
        broken: [
          `CREATE TABLE "deploy_test_partial" ("id" integer PRIMARY KEY);`,
          `ALTER TABLE "user" ADD COLUMN "deploy_test_column" text;`,
          `SELECT "no_such_column" FROM "deploy_test_partial";`,
        ].join("\n--> statement-breakpoint\n"),
        after: `CREATE TABLE "deploy_test_after" ("id" integer PRIMARY KEY);`,
      };
      const tags: Record<string, string> = {};
      Object.entries(extra).forEach(([name, sql], k) => {
        const idx = last.idx + 1 + k;
        const tag = `${String(idx).padStart(4, "0")}_deploy_test_${name}`;
        tags[name] = tag;
        journal.entries.push({ ...last, idx, when: last.when + 1000 * (k + 1), tag });
        writeFileSync(path.join(dir, `${tag}.sql`), sql);
      });
      writeFileSync(journalPath, JSON.stringify(journal, null, 2));

      const run = await deploy(["--dry-run"], { MIGRATION_DATABASE_URL: url, EDGE_AUTH_MIGRATIONS_DIR: dir });
      expect(run.code, show(run)).toBe(1);
      expect(run.stderr).toContain(`migration ${tags.broken} failed and was rolled back`);
      expect(run.stderr).toContain("no_such_column");
      expect(run.stderr).toContain("The Worker was not deployed");
      expect(ranWrangler(run), show(run)).toBe(false);

      // Everything up to the ok migration is applied; nothing of the broken one or after.
      expect(await appliedHashes(url)).toHaveLength(pending + 1);
      expect(await tableExists(url, "public.deploy_test_ok")).toBe(true);
      expect(await tableExists(url, "public.deploy_test_partial")).toBe(false);
      expect(await tableExists(url, "public.deploy_test_after")).toBe(false);
      const columns = await query(url, `select 1 from information_schema.columns where table_name = 'user' and column_name = 'deploy_test_column'`);
      expect(columns).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops with a clear error before touching the database when the configuration is incomplete", async () => {
    const url = await createDatabase();
    // A copy of wrangler.toml with the placeholder Hyperdrive id. Its `main`
    // does not resolve from the temporary folder, so even a broken check
    // could not upload anything.
    const dir = mkdtempSync(path.join(tmpdir(), "edge-auth-config-"));
    try {
      const config = path.join(dir, "wrangler.toml");
      writeFileSync(
        config,
        readFileSync(path.join(root, "wrangler.toml"), "utf8").replace(/^id = "[^"]*"/m, `id = "${PLACEHOLDER_HYPERDRIVE_ID}"`),
      );
      // The same with a real Hyperdrive id, production [vars] and credentials,
      // but a Worker without APP_SECRET (as a stand-in Cloudflare API says).
      const productionConfig = path.join(dir, "wrangler.production.toml");
      writeFileSync(productionConfig, readFileSync(config, "utf8").replace(/^id = "[^"]*"/m, `id = "${"ab".repeat(16)}"`));
      const api = await fakeCloudflareApi([{ name: "OTHER_SECRET", type: "secret_text" }]);
      const secretsDb = await createDatabase();

      const secret = `pw-${randomUUID()}`;
      const [noDatabase, realDeploy, unreachable, missingSecret] = await Promise.all([
        deploy(["--dry-run"]),
        // Not a dry run: what a dry run only warns about now stops it.
        deploy(["--config", config], { MIGRATION_DATABASE_URL: url }),
        deploy(["--dry-run"], { MIGRATION_DATABASE_URL: `postgres://deployer:${secret}@127.0.0.1:1/nowhere` }),
        deploy(["--config", productionConfig], {
          ...productionVars(),
          MIGRATION_DATABASE_URL: secretsDb,
          CLOUDFLARE_API_TOKEN: "test-token",
          CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
          CLOUDFLARE_API_BASE_URL: `${api.url}/client/v4`,
        }),
      ]).finally(() => api.close());

      expect(noDatabase.code, show(noDatabase)).toBe(1);
      expect(noDatabase.stderr).toContain("nothing was migrated or deployed");
      expect(noDatabase.stderr).toContain("set MIGRATION_DATABASE_URL");
      expect(ranWrangler(noDatabase), show(noDatabase)).toBe(false);

      expect(realDeploy.code, show(realDeploy)).toBe(1);
      expect(realDeploy.stderr).toContain("nothing was migrated or deployed");
      expect(realDeploy.stderr).toContain(`the HYPERDRIVE Hyperdrive id is the placeholder ${PLACEHOLDER_HYPERDRIVE_ID}`);
      expect(realDeploy.stderr).toMatch(/AUTH_BASE_URL is "http:\/\/localhost:8787\/api", not a public https URL/);
      expect(realDeploy.stdout).not.toContain("2/3");
      expect(ranWrangler(realDeploy), show(realDeploy)).toBe(false);
      expect(await untouched(url)).toBe(true);

      // Reaching the database is step 2: a clear error, the password masked, no deploy.
      expect(unreachable.code, show(unreachable)).toBe(1);
      expect(unreachable.stderr).toContain("could not migrate postgres://deployer:***@127.0.0.1:1/nowhere");
      expect(unreachable.stderr).toContain("The Worker was not deployed");
      expect(unreachable.stdout + unreachable.stderr).not.toContain(secret);
      expect(ranWrangler(unreachable), show(unreachable)).toBe(false);

      // With credentials, a real deploy lists the Worker's secrets first.
      expect(missingSecret.code, show(missingSecret)).toBe(1);
      expect(missingSecret.stderr).toContain("required secrets not set on the Worker: APP_SECRET; nothing was migrated or deployed");
      expect(api.requests).toContain("GET /client/v4/accounts/0123456789abcdef0123456789abcdef/workers/scripts/edge-auth/secrets");
      expect(missingSecret.stdout).not.toContain("2/3");
      expect(ranWrangler(missingSecret), show(missingSecret)).toBe(false);
      expect(await untouched(secretsDb)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------
// Step 1 in detail, without spawning anything.

describe("deploy configuration check", () => {
  const production: WranglerFacts = {
    configPath: "/x/wrangler.toml",
    name: "edge-auth",
    hyperdrive: [{ binding: "HYPERDRIVE", id: "0123456789abcdef0123456789abcdef" }],
    vars: { AUTH_BASE_URL: "https://auth.example.com/api", TRUSTED_ORIGINS: "" },
    requiredSecrets: ["APP_SECRET"],
  };
  const input = (overrides: Partial<DeployCheckInput> = {}): DeployCheckInput => ({
    dryRun: false,
    env: { MIGRATION_DATABASE_URL: "postgres://u:p@db.example.com:5432/app" },
    wrangler: production,
    devVarsExample: readFileSync(path.join(root, ".dev.vars.example"), "utf8"),
    migrationsDir: MIGRATIONS_FOLDER,
    ...overrides,
  });

  // What a dry run reports and a real deploy refuses (others are advisory).
  const productionOnly = (warnings: string[]) => warnings.filter((w) => w.endsWith("(a real deploy stops here)"));

  it("accepts a production configuration", () => {
    const check = checkDeployConfig(input());
    expect(check.errors).toEqual([]);
    expect(productionOnly(check.warnings)).toEqual([]);
    expect(check.databaseSource).toBe("MIGRATION_DATABASE_URL");
    expect(check.requiredSecrets).toEqual(["APP_SECRET"]);
  });

  it("reads the required secrets from .dev.vars.example", () => {
    expect(requiredSecretsFromExample(readFileSync(path.join(root, ".dev.vars.example"), "utf8"))).toContain("APP_SECRET");
    expect(requiredSecretsFromExample("# Optional.\nFOO=1\n\n# Required. x\nBAR=2\n# Required (a var)\n# BAZ=3\n")).toEqual(["BAR"]);
  });

  it("fails a real deploy on the placeholder Hyperdrive id and local addresses, and only warns in a dry run", () => {
    const repoLike: WranglerFacts = {
      ...production,
      hyperdrive: [{ binding: "HYPERDRIVE", id: PLACEHOLDER_HYPERDRIVE_ID }],
      vars: { AUTH_BASE_URL: "http://localhost:8787/api", SOME_API_URL: "http://127.0.0.1:8025", SOME_FROM: "x <a@b.localhost>", OK: "https://example.com" },
    };
    const real = checkDeployConfig(input({ wrangler: repoLike }));
    expect(real.errors).toEqual([
      expect.stringContaining(`Hyperdrive id is the placeholder ${PLACEHOLDER_HYPERDRIVE_ID}`),
      expect.stringContaining('SOME_API_URL is "http://127.0.0.1:8025", a local address'),
      expect.stringContaining("SOME_FROM is"),
      expect.stringContaining('AUTH_BASE_URL is "http://localhost:8787/api", not a public https URL'),
    ]);
    const dry = checkDeployConfig(input({ wrangler: repoLike, dryRun: true }));
    expect(dry.errors).toEqual([]);
    expect(productionOnly(dry.warnings)).toHaveLength(4);
    // Overridden from the environment, they pass.
    const env = { MIGRATION_DATABASE_URL: "postgres://h/db", AUTH_BASE_URL: "https://auth.example.com/api", SOME_API_URL: "https://api.example.com", SOME_FROM: "x <a@example.com>" };
    const hyperdrive = [{ binding: "HYPERDRIVE", id: "0123456789abcdef0123456789abcdef" }];
    expect(checkDeployConfig(input({ wrangler: { ...repoLike, hyperdrive }, env })).errors).toEqual([]);
  });

  it("rejects what no deploy can use, in a dry run too", () => {
    const dryRun = true;
    expect(checkDeployConfig(input({ dryRun, env: {} })).errors.join()).toMatch(/set MIGRATION_DATABASE_URL/);
    expect(checkDeployConfig(input({ dryRun, env: { MIGRATION_DATABASE_URL: "mysql://u:hunter2@h/db" } })).errors.join()).toMatch(
      /MIGRATION_DATABASE_URL is not a postgres/,
    );
    expect(checkDeployConfig(input({ dryRun, env: { MIGRATION_DATABASE_URL: "mysql://u:hunter2@h/db" } })).errors.join()).not.toContain("hunter2");
    expect(checkDeployConfig(input({ dryRun, env: { DATABASE_URL: "postgres://h/db" } })).databaseSource).toBe("DATABASE_URL");
    expect(checkDeployConfig(input({ dryRun, wrangler: { ...production, hyperdrive: [] } })).errors.join()).toMatch(/no \[\[hyperdrive\]\] binding/);
    expect(checkDeployConfig(input({ dryRun, wrangler: { ...production, hyperdrive: [{ binding: "HYPERDRIVE", id: "my-db" }] } })).errors.join()).toMatch(
      /not a Hyperdrive id/,
    );
    expect(checkDeployConfig(input({ dryRun, env: { MIGRATION_DATABASE_URL: "postgres://h/db", TRUSTED_ORIGINS: "not a url" } })).errors.join()).toMatch(
      /TRUSTED_ORIGINS/,
    );
    expect(checkDeployConfig(input({ dryRun, migrationsDir: "/nonexistent" })).errors.join()).toMatch(/no migrations found/);
    expect(checkDeployConfig(input({ dryRun, wrangler: new Error("bad toml") })).errors.join()).toMatch(/cannot read the Wrangler configuration: bad toml/);
  });

  it("refuses rate limits turned off, in wrangler.toml or from the deploy environment, in a dry run too", () => {
    const withLimits = { ...production, vars: { ...production.vars, RATE_LIMITS: "on" } };
    expect(checkDeployConfig(input({ wrangler: withLimits })).errors).toEqual([]);
    for (const dryRun of [false, true]) {
      const inToml = checkDeployConfig(input({ dryRun, wrangler: { ...production, vars: { ...production.vars, RATE_LIMITS: "off" } } }));
      expect(inToml.errors).toEqual([expect.stringMatching(/^RATE_LIMITS is "off": production keeps the per-client limits/)]);
      const fromEnv = checkDeployConfig(input({ dryRun, wrangler: withLimits, env: { MIGRATION_DATABASE_URL: "postgres://h/db", RATE_LIMITS: "off" } }));
      expect(fromEnv.errors).toEqual([expect.stringMatching(/^RATE_LIMITS is "off"/)]);
    }
  });

  it("takes [vars] from the deploy environment, to pass to wrangler deploy --var", () => {
    const check = checkDeployConfig(
      input({
        wrangler: { ...production, vars: { AUTH_BASE_URL: "http://localhost:8787/api", TRUSTED_ORIGINS: "" } },
        env: { MIGRATION_DATABASE_URL: "postgres://h/db", AUTH_BASE_URL: "https://auth.example.com/api", TRUSTED_ORIGINS: "", UNRELATED: "x" },
      }),
    );
    expect(check.errors).toEqual([]);
    expect(check.varOverrides).toEqual({ AUTH_BASE_URL: "https://auth.example.com/api" });
  });

  it("compares the required secrets with `wrangler secret list` and masks passwords", () => {
    const listed = parseSecretList(`[\n  { "name": "APP_SECRET", "type": "secret_text" }\n]\n`);
    expect(missingSecrets(["APP_SECRET"], listed)).toEqual([]);
    expect(missingSecrets(["APP_SECRET", "OTHER"], listed)).toEqual(["OTHER"]);
    expect(() => parseSecretList("✘ [ERROR] Authentication error")).toThrow();
    expect(scrubPassword("failed for postgres://u:p%40ss@h/db (p@ss)", "postgres://u:p%40ss@h/db")).toBe("failed for postgres://u:***@h/db (***)");
  });
});

// ---------------------------------------------------------------------------
// The GitHub Actions workflow (not run here): valid YAML, and the right shape.

describe(".github/workflows/deploy.yml", () => {
  const source = readFileSync(path.join(root, ".github/workflows/deploy.yml"), "utf8");
  const problems = (text: string) => {
    try {
      return checkDeployWorkflow(parseWorkflow(text));
    } catch (err) {
      if (err instanceof YamlError) return [err.message];
      throw err;
    }
  };

  it("parses and runs the tests, then npm run deploy with the repository secrets", () => {
    expect(problems(source)).toEqual([]);
    const doc = parseWorkflow(source) as { jobs: Record<string, { needs?: unknown; steps: { run?: string; env?: Record<string, string> }[] }> };
    expect(doc.jobs.deploy!.needs).toBe("test");
    const deployStep = doc.jobs.deploy!.steps.find((s) => s.run === "npm run deploy")!;
    expect(deployStep.env).toMatchObject({ MIGRATION_DATABASE_URL: "${{ secrets.MIGRATION_DATABASE_URL }}" });
  });

  it.each([
    ["a tab in the indentation", (s: string) => s.replace("    runs-on: ubuntu-latest\n    timeout-minutes: 20\n    steps:", "    runs-on: ubuntu-latest\n\ttimeout-minutes: 20\n    steps:"), /tab/i],
    ["a broken indentation", (s: string) => s.replace("      - run: npm ci\n      - name: Migrate", "      - run: npm ci\n     - name: Migrate"), /line \d+/],
    ["the deploy job not waiting for the tests", (s: string) => s.replace("    needs: test\n", ""), /without first needing the tests/],
    ["a missing secret", (s: string) => s.replace(/^ +CLOUDFLARE_ACCOUNT_ID: .*\n/m, ""), /CLOUDFLARE_ACCOUNT_ID/],
    ["a misspelt key", (s: string) => s.replace("      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n          node-version: 22\n          cache: npm\n      - run: npm ci\n      - name:", "      - use: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n          node-version: 22\n          cache: npm\n      - run: npm ci\n      - name:"), /unknown key "use"/],
    ["an unquoted colon in a value", (s: string) => s.replace("name: Deploy\n", "name: Deploy: production\n"), /line 7/],
    ["a duplicate key", (s: string) => s.replace("permissions:\n  contents: read\n", "permissions:\n  contents: read\npermissions:\n  contents: write\n"), /unique/],
    ["a dry-run deploy", (s: string) => s.replace("run: npm run deploy\n", "run: npm run deploy -- --dry-run\n"), /dry run/],
  ])("rejects %s", (_name, mutate, expected) => {
    const mutated = mutate(source);
    expect(mutated).not.toBe(source);
    expect(problems(mutated).join("\n")).toMatch(expected);
  });
});
