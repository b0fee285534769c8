// `npm run deploy [-- --dry-run] [-- --config <file>]`
//
//   1. check the production configuration that can be checked from here
//      (offline; plus `wrangler secret list` for a real deploy with
//      CLOUDFLARE_API_TOKEN set) — before anything touches the database;
//   2. apply pending migrations to MIGRATION_DATABASE_URL (else DATABASE_URL),
//      a direct connection, not Hyperdrive: under a Postgres advisory lock,
//      one transaction per migration;
//   3. only if both succeeded, `wrangler deploy` (`--dry-run`: build only),
//      and report the bundle size.
//
// Any failure stops at that step with a message and exit status 1. A dry run
// needs no Cloudflare credentials and treats what only a real deploy needs
// (a real Hyperdrive id, a public AUTH_BASE_URL) as warnings.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeBundle, LIMIT_BYTES, measureOutdir, TARGET_BYTES, type BundleSize } from "./bundle-size";
import {
  checkDeployConfig,
  missingSecrets,
  parseSecretList,
  readDevVarsExample,
  readWranglerConfig,
  scrubPassword,
} from "./lib/deploy-config";
import { migrate, MigrationError, MIGRATIONS_FOLDER, type MigrationResult } from "./lib/migrate";
import { redact } from "./lib/postgres";

const root = path.resolve(import.meta.dirname, "..");
const WRANGLER = path.join(root, "node_modules/wrangler/bin/wrangler.js");

const USAGE = `usage: npm run deploy [-- --dry-run] [-- --config <wrangler config file>]

  --dry-run        check the configuration offline, migrate the database, and
                   build with \`wrangler deploy --dry-run\` (nothing is uploaded;
                   no Cloudflare credentials needed)
  --config, -c     Wrangler configuration file (default: wrangler.toml)

environment:
  MIGRATION_DATABASE_URL   direct connection string of the database to migrate
                           (DATABASE_URL is used when it is unset)
  CLOUDFLARE_API_TOKEN     for wrangler; also enables the secrets check
  CLOUDFLARE_ACCOUNT_ID    for wrangler, when the token can see several accounts
  AUTH_BASE_URL, ...       any name from wrangler.toml [vars] overrides it
  EDGE_AUTH_MIGRATIONS_DIR migrations folder (default: migrations/; for tests)`;

const say = (line: string) => console.log(`deploy: ${line}`);
const warn = (line: string) => console.warn(`deploy: warning: ${line}`);
function fail(line: string): never {
  console.error(`deploy: error: ${line}`);
  process.exit(1);
}

function usageError(message: string): never {
  console.error(`deploy: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): { dryRun: boolean; configPath?: string } {
  let dryRun = false;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--dry-run") dryRun = true;
    else if (arg === "--config" || arg === "-c" || arg.startsWith("--config=")) {
      configPath = arg.startsWith("--config=") ? arg.slice("--config=".length) : argv[++i];
      if (!configPath) usageError("--config needs a file");
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else usageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { dryRun, configPath: configPath && path.resolve(configPath) };
}

/** A driver error as one line; Node reports a failed dual-stack connect as an AggregateError with no message. */
function describeError(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(describeError).join("; ");
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

/** Wrangler never needs the database URLs; keep them out of its environment. */
function wranglerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MIGRATION_DATABASE_URL;
  delete env.DATABASE_URL;
  return env;
}

const { dryRun, configPath } = parseArgs(process.argv.slice(2));
const configArgs = configPath ? ["--config", configPath] : [];
const migrationsDir = process.env.EDGE_AUTH_MIGRATIONS_DIR ? path.resolve(process.env.EDGE_AUTH_MIGRATIONS_DIR) : MIGRATIONS_FOLDER;

// ---------------------------------------------------------------------------
// 1. Configuration
say(`1/3 checking the production configuration${dryRun ? " (dry run: offline checks only)" : ""}`);
const wrangler = await readWranglerConfig(configPath ?? path.join(root, "wrangler.toml")).catch((err: unknown) =>
  err instanceof Error ? err : new Error(String(err)),
);
const check = checkDeployConfig({
  dryRun,
  env: process.env,
  wrangler,
  devVarsExample: readDevVarsExample(root),
  migrationsDir,
});
for (const note of check.notes) say(note);
for (const warning of check.warnings) warn(warning);
if (check.errors.length) {
  fail(
    `the configuration check failed; nothing was migrated or deployed:\n${check.errors.map((e) => `  - ${e}`).join("\n")}`,
  );
}
const secretList = check.requiredSecrets.join(", ") || "(none)";
if (dryRun) {
  say(`required secrets ${secretList}: not checked in a dry run (listing them needs Cloudflare credentials)`);
} else if (!process.env.CLOUDFLARE_API_TOKEN) {
  warn(
    `required secrets ${secretList}: not checked, CLOUDFLARE_API_TOKEN is not set ` +
      "(wrangler deploy still refuses to deploy while one is missing, but only after the migrations)",
  );
} else {
  const listed = spawnSync(process.execPath, [WRANGLER, "secret", "list", "--format", "json", ...configArgs], {
    cwd: root,
    env: wranglerEnv(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  let names: string[] | undefined;
  try {
    if (listed.status === 0) names = parseSecretList(listed.stdout);
  } catch {
    names = undefined;
  }
  if (!names) {
    fail(
      `\`wrangler secret list\` failed, so the required secrets (${secretList}) could not be checked; nothing was migrated or deployed.\n` +
        `${(listed.stderr || listed.stdout || listed.error?.message || "").trim()}\n` +
        `For a new Worker, \`npx wrangler secret put ${check.requiredSecrets[0] ?? "<NAME>"}\` creates it (README: Deploy to Cloudflare).`,
    );
  }
  const missing = missingSecrets(check.requiredSecrets, names);
  if (missing.length) {
    fail(
      `required secrets not set on the Worker: ${missing.join(", ")}; nothing was migrated or deployed. ` +
        `Set each with \`npx wrangler secret put <NAME>\`.`,
    );
  }
  // With the set secrets known, the Worker's configuration can be checked whole.
  const recheck = checkDeployConfig({ dryRun, env: process.env, wrangler, devVarsExample: readDevVarsExample(root), migrationsDir, secretsSet: names });
  if (recheck.errors.length) {
    fail(`the configuration check failed; nothing was migrated or deployed:\n${recheck.errors.map((e) => `  - ${e}`).join("\n")}`);
  }
  say(`required secrets ${secretList}: set`);
}

// ---------------------------------------------------------------------------
// 2. Migrations
const databaseUrl = check.databaseUrl!;
const folderNote = migrationsDir === MIGRATIONS_FOLDER ? "" : ` from ${migrationsDir} (EDGE_AUTH_MIGRATIONS_DIR)`;
say(`2/3 migrating ${redact(databaseUrl)} (${check.databaseSource})${folderNote}`);
let migrations: MigrationResult;
try {
  migrations = await migrate(databaseUrl, { migrationsFolder: migrationsDir, log: (line) => say(`  ${line}`) });
} catch (err) {
  if (err instanceof MigrationError) {
    fail(
      `${err.message}.\n  The database is as the migrations before ${err.migration} left it (those stay applied). ` +
        "The Worker was not deployed.",
    );
  }
  fail(`could not migrate ${redact(databaseUrl)}: ${scrubPassword(describeError(err), databaseUrl)}. The Worker was not deployed.`);
}
say(
  `migrations: ${migrations.applied.length} applied${migrations.applied.length ? ` (${migrations.applied.join(", ")})` : ""}, ` +
    `${migrations.skipped} already applied`,
);

// ---------------------------------------------------------------------------
// 3. wrangler deploy
const args = [
  "deploy",
  ...(dryRun ? ["--dry-run"] : []),
  ...configArgs,
  ...Object.entries(check.varOverrides).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
];
say(`3/3 wrangler ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
// The bundle goes to a temporary --outdir, to be measured.
const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-deploy-"));
const wranglerRun = spawnSync(process.execPath, [WRANGLER, ...args, "--outdir", outdir], { cwd: root, env: wranglerEnv(), stdio: "inherit" });
let size: BundleSize | undefined;
let measureError: unknown;
if (wranglerRun.status === 0) {
  try {
    size = measureOutdir(outdir);
  } catch (err) {
    measureError = err;
  }
}
rmSync(outdir, { recursive: true, force: true });
if (wranglerRun.status !== 0) {
  const why = wranglerRun.error?.message ?? (wranglerRun.signal ? `killed by ${wranglerRun.signal}` : `exit status ${wranglerRun.status}`);
  fail(
    `wrangler deploy${dryRun ? " --dry-run" : ""} failed (${why}). ` +
      `The migrations above stay applied; the previous Worker version${dryRun ? "" : ", if any,"} is still the one serving.`,
  );
}
if (!size) {
  const message = `could not measure the bundle: ${describeError(measureError)}`;
  if (dryRun) fail(message);
  warn(message);
  say("deployed");
  process.exit(0);
}

say(`bundle: ${describeBundle(size)}`);
if (size.gzipBytes > LIMIT_BYTES) {
  const message = "the bundle is over the Workers free plan's 3 MiB gzip limit";
  if (dryRun) fail(message);
  warn(message);
} else if (size.gzipBytes > TARGET_BYTES) {
  warn("the bundle is over this project's 1 MiB gzip target");
}
say(dryRun ? "dry run done: configuration checked, database migrated, Worker built (nothing uploaded)" : "deployed");
