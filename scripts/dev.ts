// `npm run dev [-- --port N] [other wrangler dev flags]`
// Picks a database (DATABASE_URL, else an embedded PGlite kept under
// .wrangler/), migrates it, and serves the Worker with `wrangler dev` wired to
// it through the Hyperdrive binding's local connection string. Mail goes to a
// local catcher (127.0.0.1:8025, or MAIL_PORT) that lists it on a web page.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describeMail, mailPort, startMailCatcher, type MailCatcher } from "./lib/mail-catcher";
import { migrate } from "./lib/migrate";
import { redact, startEmbeddedPostgres, withPassword, type EmbeddedPostgres } from "./lib/postgres";

const root = path.resolve(import.meta.dirname, "..");
const devVarsPath = path.join(root, ".dev.vars");

function ensureDevVars(): void {
  if (existsSync(devVarsPath)) return;
  const example = readFileSync(path.join(root, ".dev.vars.example"), "utf8");
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(devVarsPath, example.replace(/^APP_SECRET=.*$/m, `APP_SECRET=${secret}`), { mode: 0o600 });
  console.log("dev: created .dev.vars from .dev.vars.example with a freshly generated APP_SECRET");
}

function readDevVar(name: string): string | undefined {
  const line = readFileSync(devVarsPath, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).trim().replace(/^"(.*)"$/, "$1");
}

/** Splits our `--port` out of the arguments; the rest go to wrangler as given. */
function parseArgs(argv: string[]): { port: number; rest: string[] } {
  const rest: string[] = [];
  let port = Number(process.env.PORT) || 8787;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg === "--port" ? argv[++i] : arg.startsWith("--port=") ? arg.slice(7) : undefined;
    if (value === undefined) {
      rest.push(arg);
      continue;
    }
    port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      console.error(`dev: --port must be a port number, got ${JSON.stringify(value)}`);
      process.exit(2);
    }
  }
  return { port, rest };
}

ensureDevVars();
const { port, rest } = parseArgs(process.argv.slice(2));

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  console.log(`dev: using DATABASE_URL ${redact(databaseUrl)}`);
} else {
  // DEV_PGLITE_DIR: another data directory (the browser tests use a fresh one per run).
  const dataDir = process.env.DEV_PGLITE_DIR || path.join(root, ".wrangler/pglite");
  embedded = await startEmbeddedPostgres({ dataDir });
  databaseUrl = embedded.url;
  console.log(`dev: started embedded PostgreSQL (PGlite, data in ${path.relative(root, dataDir) || dataDir}) at ${databaseUrl}`);
}

try {
  const result = await migrate(databaseUrl);
  console.log(`dev: migrations: ${result.applied.length} applied, ${result.skipped} already applied`);
} catch (err) {
  console.error(`dev: ${err instanceof Error ? err.message : String(err)}`);
  await embedded?.stop();
  process.exit(1);
}

// The Worker's HTTP mail transport points at this catcher (--var below).
let catcher: MailCatcher;
try {
  catcher = await startMailCatcher({ port: mailPort(), onMessage: (mail) => console.log(describeMail(mail)) });
} catch (err) {
  const inUse = (err as { code?: unknown }).code === "EADDRINUSE";
  const reason = inUse ? "the port is in use; set MAIL_PORT to another port" : err instanceof Error ? err.message : String(err);
  console.error(`dev: cannot start the mail catcher: ${reason}`);
  await embedded?.stop();
  process.exit(1);
}
console.log(`dev: mail catcher at ${catcher.url} (open it to read the mail the Worker sends)`);

// Browsers and Node clients send an Origin; both loopback spellings of this
// port must be trusted, plus whatever the developer configured.
const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
const configured = process.env.TRUSTED_ORIGINS ?? readDevVar("TRUSTED_ORIGINS") ?? "";
const trusted = [...origins, ...configured.split(",").map((o) => o.trim()).filter(Boolean)].join(",");
const authBaseUrl = process.env.AUTH_BASE_URL ?? `${origins[0]}/api`;

const wrangler = spawn(
  process.execPath,
  [
    path.join(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--port",
    String(port),
    "--var",
    `AUTH_BASE_URL:${authBaseUrl}`,
    "--var",
    `TRUSTED_ORIGINS:${trusted}`,
    "--var",
    `EMAIL_API_URL:${catcher.url}`,
    ...rest,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(databaseUrl) },
  },
);

let stopping = false;
async function shutdown(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  wrangler.kill(signal);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

wrangler.on("exit", async (code, signal) => {
  await catcher.stop().catch(() => undefined);
  await embedded?.stop().catch(() => undefined);
  process.exit(code ?? (signal ? 0 : 1));
});
