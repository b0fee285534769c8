// `npm run dev [-- --port N] [--data-dir DIR] [--production-limits] [wrangler dev flags]`
// Checks the Worker's configuration, picks a database (DATABASE_URL, else an
// embedded PGlite kept under .wrangler/, one process per directory), migrates
// it, and serves the Worker with `wrangler dev` wired to it through the
// Hyperdrive binding's local connection string. Mail goes to a local catcher
// (the port after the Worker's, or MAIL_PORT) that lists it on a web page.
// Ctrl-C, SIGTERM, SIGHUP, or the death of the process that started it stop
// everything it started.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { claimDataDir, describeOwner, displayPath, lockPath, type DataDirLock } from "./lib/data-dir";
import { configProblems, devVars } from "./lib/dev-config";
import { describeMail, mailPort, startMailCatcher, type MailCatcher } from "./lib/mail-catcher";
import { migrate } from "./lib/migrate";
import { redact, startEmbeddedPostgres, withPassword, type EmbeddedPostgres } from "./lib/postgres";
import { parentOf } from "./lib/procfs";

const root = path.resolve(import.meta.dirname, "..");
const devVarsPath = path.join(root, ".dev.vars");
const DEFAULT_DATA_DIR = path.join(root, ".wrangler/pglite");

const USAGE = `usage: npm run dev [-- --port N] [--data-dir DIR] [--production-limits] [wrangler dev flags]

  --port N              serve on N (default: $PORT, else 8787); the mail catcher takes
                        the next port (or $MAIL_PORT)
  --data-dir DIR        the embedded database's directory (default: .wrangler/pglite);
                        one npm run dev per directory. Unused when DATABASE_URL is set.
  --production-limits   keep production's per-client rate limits (default: off locally)

Other flags go to wrangler dev as given (e.g. --var NAME:VALUE, --env-file FILE).`;

const say = (line: string) => console.log(`dev: ${line}`);
function fail(message: string, code = 1): never {
  console.error(`dev: ${message}`);
  process.exit(code);
}

interface Args {
  port: number;
  dataDir: string;
  productionLimits: boolean;
  envFiles: string[];
  cliVars: string[];
  rest: string[];
}

/** Our flags out of the arguments; the rest go to wrangler as given. */
function parseArgs(argv: string[]): Args {
  const args: Args = {
    port: Number(process.env.PORT) || 8787,
    dataDir: DEFAULT_DATA_DIR,
    productionLimits: false,
    envFiles: [],
    cliVars: [],
    rest: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value\n\n${USAGE}`, 2);
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === "--port") {
      const raw = value();
      args.port = Number(raw);
      if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) fail(`--port must be a port number, got ${JSON.stringify(raw)}`, 2);
    } else if (flag === "--data-dir") {
      args.dataDir = path.resolve(value());
    } else if (flag === "--production-limits") {
      args.productionLimits = true;
    } else if (flag === "--env-file" || flag === "--var") {
      const v = value();
      (flag === "--var" ? args.cliVars : args.envFiles).push(v);
      args.rest.push(flag, v);
    } else {
      args.rest.push(arg);
    }
  }
  return args;
}

function ensureDevVars(): void {
  if (existsSync(devVarsPath)) return;
  const example = readFileSync(path.join(root, ".dev.vars.example"), "utf8");
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(devVarsPath, example.replace(/^APP_SECRET=.*$/m, `APP_SECRET=${secret}`), { mode: 0o600 });
  say("created .dev.vars from .dev.vars.example with a freshly generated APP_SECRET");
}

const shown = displayPath;

// ---------------------------------------------------------------------------
// Stopping: everything started below is registered here, and stopped in
// reverse order on a signal, on the parent's death, or when wrangler exits.

let wrangler: ChildProcess | undefined;
let catcher: MailCatcher | undefined;
let embedded: EmbeddedPostgres | undefined;
let lock: DataDirLock | undefined;
let stopping: Promise<never> | undefined;

/** Sends `signal` to wrangler's whole process group (wrangler, workerd, esbuild). */
function signalWrangler(signal: NodeJS.Signals): void {
  if (!wrangler?.pid) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch {
    // Already gone.
  }
}

function stop(reason: string, code: number): Promise<never> {
  stopping ??= (async () => {
    if (reason) say(reason);
    if (wrangler && wrangler.exitCode === null && wrangler.signalCode === null) {
      const exited = new Promise((resolve) => wrangler!.once("exit", resolve));
      signalWrangler("SIGTERM");
      const timer = setTimeout(() => signalWrangler("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    // workerd may outlive wrangler by a moment: the group goes with it.
    signalWrangler("SIGKILL");
    await catcher?.stop().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    lock?.release();
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void stop(`stopping (${signal})`, 0));
}

// npm runs this script through `sh -c`: the parent is that shell, npm its
// parent, and whatever ran `npm run dev` (a terminal, an IDE, a test runner)
// npm's. If any of them goes, no signal may reach us: a poll notices.
const watched = [process.ppid];
for (let level = 1; process.env.npm_lifecycle_event && level < 3; level++) {
  // No /proc (macOS): the parent alone is watched.
  const up = parentOf(watched.at(-1)!);
  if (!up || up <= 1) break;
  watched.push(up);
}
setInterval(() => {
  const gone = process.ppid !== watched[0] ? watched[0] : watched.find((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as { code?: string }).code !== "EPERM";
    }
  });
  if (gone) void stop(`stopping: parent process ${gone} exited`, 0);
}, 500).unref();

// An expected failure is one line, never a dump: PGlite's WASM aborts with a
// RuntimeError whose "source line" is a whole minified file.
function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message || err.name : String(err);
  return message.split("\n")[0]!.slice(0, 300);
}
function crashed(err: unknown) {
  const stack = err instanceof Error ? (err.stack ?? "") : "";
  const what = /pglite/i.test(stack) || /Aborted\(/.test(String(err)) ? "the embedded database (PGlite) crashed" : "internal error";
  console.error(`dev: ${what}: ${oneLine(err)}; stopping`);
  void stop("", 1);
}
process.on("uncaughtException", crashed);
process.on("unhandledRejection", crashed);

// ---------------------------------------------------------------------------

const args = parseArgs(process.argv.slice(2));
const { port } = args;
if (!args.envFiles.length) ensureDevVars();

const catcherPort = mailPort(process.env, port + 1);
const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
const configPath = path.join(root, "wrangler.toml");

// 1. The Worker's configuration as wrangler dev will bind it, checked by the
//    Worker's own parseConfig before anything starts.
const chosen = devVars({ configPath, envFiles: args.envFiles, cliVars: [] });
const configured = String(chosen.vars.TRUSTED_ORIGINS ?? "");
const trusted = [...origins, ...configured.split(",").map((o) => o.trim()).filter(Boolean)].join(",");
const ourVars: string[] = [
  `AUTH_BASE_URL:${process.env.AUTH_BASE_URL ?? `${origins[0]}/api`}`,
  `TRUSTED_ORIGINS:${trusted}`,
  `EMAIL_API_URL:http://127.0.0.1:${catcherPort}`,
];
// Off locally unless asked for (or the developer set RATE_LIMITS): a front
// end's own test suite signs up and in far more often than 10 times a minute.
const userSetLimits = chosen.chosen.has("RATE_LIMITS") || args.cliVars.some((v) => v.startsWith("RATE_LIMITS:"));
if (args.productionLimits) ourVars.push("RATE_LIMITS:on");
else if (!userSetLimits) ourVars.push("RATE_LIMITS:off");
const effective = devVars({ configPath, envFiles: args.envFiles, cliVars: [...ourVars, ...args.cliVars] });
const problems = configProblems(effective.vars);
if (problems.length) {
  const sources = args.envFiles.length ? args.envFiles.map(shown).join(", ") : ".dev.vars";
  fail(
    `the Worker's configuration is invalid, so wrangler was not started:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
      `Values come from wrangler.toml [vars], ${sources} and --var flags.`,
  );
}
const limitsOn = String(effective.vars.RATE_LIMITS) !== "off";

// 2. The database.
let databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  say(`using DATABASE_URL ${redact(databaseUrl)}`);
} else {
  const dir = shown(args.dataDir);
  let claim = claimDataDir(args.dataDir, "npm run dev");
  // `npm run admin` holds it for a moment when no server runs: wait for it.
  for (let waited = 0; !claim.ok && claim.owner.command === "npm run admin" && waited < 20_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    claim = claimDataDir(args.dataDir, "npm run dev");
  }
  if (!claim.ok) {
    fail(
      `${dir} is in use by ${describeOwner(claim.owner)}.\n` +
        "  The embedded database allows one process per directory (two would lose each other's writes).\n" +
        "  To run a second server, give it its own database:\n" +
        `    npm run dev -- --port ${port + 2} --data-dir ${dir}-2\n` +
        `    DATABASE_URL=postgres://user@host:5432/db npm run dev -- --port ${port + 2}\n` +
        `  (If no such process is running, delete ${shown(lockPath(args.dataDir))}.)`,
    );
  }
  lock = claim.lock;
  if (claim.tookOverFrom) say(`${dir} was left locked by pid ${claim.tookOverFrom}, which is gone; taking it over`);
  try {
    embedded = await startEmbeddedPostgres({ dataDir: args.dataDir });
  } catch (err) {
    lock.release();
    fail(`the embedded database (PGlite) in ${dir} could not start: ${oneLine(err)}`);
  }
  databaseUrl = embedded.url;
  lock.update({ databaseUrl });
  say(`started embedded PostgreSQL (PGlite, data in ${dir}) at ${databaseUrl}`);
}

try {
  const result = await migrate(databaseUrl);
  say(`migrations: ${result.applied.length} applied, ${result.skipped} already applied`);
} catch (err) {
  console.error(`dev: ${oneLine(err)}`);
  await stop("", 1);
}

// 3. The mail catcher the Worker's HTTP mail transport points at.
try {
  catcher = await startMailCatcher({ port: catcherPort, onMessage: (mail) => console.log(describeMail(mail)) });
} catch (err) {
  const inUse = (err as { code?: unknown }).code === "EADDRINUSE";
  console.error(`dev: cannot start the mail catcher on port ${catcherPort}: ${inUse ? "the port is in use; set MAIL_PORT to another port" : oneLine(err)}`);
  await stop("", 1);
}
say(`mail catcher at ${catcher!.url} (open it to read the mail the Worker sends)`);
say(
  limitsOn
    ? `rate limits on, as in production (${effective.rateLimit ?? "AUTH_RATE_LIMITER"})`
    : "rate limits off for local development (npm run dev -- --production-limits to try production's)",
);

// 4. wrangler dev, in a process group of its own so that stopping takes
//    workerd and esbuild with it; it gets no terminal input (so no hotkeys).
wrangler = spawn(
  process.execPath,
  [
    path.join(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--port",
    String(port),
    "--show-interactive-dev-session=false",
    ...ourVars.flatMap((v) => ["--var", v]),
    ...args.rest,
  ],
  {
    cwd: root,
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(databaseUrl),
      // The Worker never reads request.cf; fetching it offline prints a stack trace.
      CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    },
  },
);
lock?.update({ serverUrl: origins[0] });
wrangler.on("exit", (code, signal) => {
  if (!stopping) void stop(signal ? `wrangler stopped (${signal})` : code ? `wrangler exited with status ${code}` : "", code ?? 1);
});
