// The real `npm run dev`, as a developer (or their IDE, or a front end's test
// suite) runs it: random ports, a data directory and env file of its own.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  cleanEnv,
  eventually,
  freePort,
  isAlive,
  killTree,
  listeningPorts,
  npmRun,
  processTree,
  run,
  stillListening,
  type Proc,
} from "./dev-process";
import { displayPath } from "../../scripts/lib/data-dir";

const work = mkdtempSync(path.join(tmpdir(), "edge-auth-dev-"));
const SECRET = "dev-test-secret-Vb38sLq0Zx7Km2Nw9Pc4Rt6Yh1";
const PASSWORD = "correct horse battery staple";

function envFile(name: string, lines: string[]): string {
  const file = path.join(work, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

interface Dev {
  proc: Proc;
  port: number;
  mailPort: number;
  url: string;
  /** Every process of it and every port they listen on, once it is ready. */
  pids: number[];
  ports: number[];
}

/** `npm run dev` with its own env file, wrangler state, ports and (unless DATABASE_URL) data directory. */
async function startDev(name: string, args: string[], env: Record<string, string> = {}, wrap: "shell" | "group" | false = false): Promise<Dev> {
  const [port, mailPort, inspector] = [await freePort(), await freePort(), await freePort()];
  const devArgs = [
    "--port",
    String(port),
    "--env-file",
    envFile(`${name}.env`, [`APP_SECRET=${SECRET}`]),
    "--persist-to",
    path.join(work, `${name}-state`),
    "--inspector-port",
    String(inspector),
    ...args,
  ];
  const childEnv = cleanEnv({ MAIL_PORT: String(mailPort), ...env });
  // wrap: started by a shell of its own, to kill that parent later.
  const proc =
    wrap === "shell"
      ? run("sh", ["-c", `npm run --silent dev -- ${devArgs.map((a) => `'${a}'`).join(" ")}; exit $?`], childEnv)
      : npmRun("dev", devArgs, childEnv, wrap === "group");
  await proc.waitFor(new RegExp(`Ready on http://localhost:${port}`), 120_000);
  // wrangler opens its last ports a moment after printing Ready.
  const url = `http://localhost:${port}`;
  await fetch(`${url}/api/health`).catch(() => undefined);
  const pids = processTree(proc.child.pid!);
  return { proc, port, mailPort, url, pids, ports: listeningPorts(pids) };
}

const started: Dev[] = [];
afterAll(() => {
  for (const dev of started) killTree(processTree(dev.proc.child.pid!).concat(dev.pids));
  rmSync(work, { recursive: true, force: true });
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", origin: new URL(url).origin, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> | null, headers: response.headers };
}

describe("npm run dev checks the Worker's configuration before wrangler starts", () => {
  it.each([
    ["a short APP_SECRET", ["APP_SECRET=short-secret-value"], [], "APP_SECRET must be at least 32 characters", "short-secret-value"],
    [
      "the placeholder secret",
      ["APP_SECRET=change-me-to-at-least-32-random-characters"],
      [],
      "APP_SECRET is the placeholder from .dev.vars.example (generate one with: node -e",
      "change-me-to-at-least",
    ],
    ["a secret of one repeated character", [`APP_SECRET=${"z".repeat(40)}`], [], "APP_SECRET has too little variety", "z".repeat(40)],
    ["AUTH_BASE_URL without /api", [`APP_SECRET=${SECRET}`], ["--var", "AUTH_BASE_URL:http://localhost:8701"], "AUTH_BASE_URL must be the public origin followed by /api", "8701"],
    ["a bad duration in the env file", [`APP_SECRET=${SECRET}`, "SESSION_FRESH_AGE=soon"], [], "SESSION_FRESH_AGE must be a duration", "soon"],
  ])("exits non-zero on %s, naming the variable and the rule, never the value", async (_, lines, extra, message, value) => {
    const port = await freePort();
    const name = `bad-${Math.random().toString(36).slice(2)}`;
    const proc = npmRun(
      "dev",
      ["--port", String(port), "--env-file", envFile(`${name}.env`, lines), "--data-dir", path.join(work, name), ...extra],
      cleanEnv({ MAIL_PORT: String(await freePort()) }),
    );
    const code = await proc.exited;
    const output = proc.output();
    expect(code, output).toBe(1);
    expect(output).toContain("dev: the Worker's configuration is invalid, so wrangler was not started:");
    expect(output).toContain(`  - ${message}`);
    expect(output).not.toContain(value);
    // Nothing was started: no wrangler banner, no database, no stack trace.
    expect(output).not.toMatch(/wrangler \d|Ready on|embedded PostgreSQL|\n\s+at /);
    expect(existsSync(path.join(work, name))).toBe(false);
  });
});

it("a data directory PGlite cannot open is one line naming it, not a dump, and leaves no lock", async () => {
  const broken = path.join(work, "broken");
  mkdirSync(path.join(broken, "global"), { recursive: true });
  writeFileSync(path.join(broken, "PG_VERSION"), "17\n");
  writeFileSync(path.join(broken, "global/pg_control"), randomBytes(8192));
  const proc = npmRun(
    "dev",
    ["--port", String(await freePort()), "--env-file", envFile("broken.env", [`APP_SECRET=${SECRET}`]), "--data-dir", broken],
    cleanEnv({ MAIL_PORT: String(await freePort()) }),
  );
  expect(await proc.exited).toBe(1);
  expect(proc.output().trim().split("\n")).toEqual([
    expect.stringMatching(new RegExp(`^dev: the embedded database \\(PGlite\\) in ${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} could not start: .{1,300}$`)),
  ]);
  expect(existsSync(`${broken}.lock`)).toBe(false);
});

describe("npm run dev", () => {
  const dataDir = path.join(work, "pglite");
  let a: Dev;
  let limited: Dev;
  let shell: Dev;

  beforeAll(async () => {
    // Started together: each takes a while to come up on a busy machine.
    [a, limited, shell] = await Promise.all([
      startDev("a", ["--data-dir", dataDir, "--var", "REQUIRE_EMAIL_VERIFICATION:false"]),
      startDev("limited", ["--production-limits"], { DATABASE_URL: inject("databaseUrl") }),
      startDev("shell", [], { DATABASE_URL: inject("databaseUrl") }, "shell"),
    ]);
    started.push(a, limited, shell);
  }, 240_000);

  it("says which database and mail catcher it uses, and that rate limits are off", () => {
    const output = a.proc.output();
    expect(output).toContain(`dev: started embedded PostgreSQL (PGlite, data in ${displayPath(dataDir)})`);
    expect(output).toContain(`dev: mail catcher at http://127.0.0.1:${a.mailPort}`);
    expect(output).toContain("dev: rate limits off for local development (npm run dev -- --production-limits to try production's)");
    expect(limited.proc.output()).toContain("dev: rate limits on, as in production (10 requests/60s per client and endpoint)");
    // Offline, wrangler would print a stack trace for the Request.cf fetch.
    for (const dev of [a, limited]) expect(dev.proc.output()).not.toMatch(/ENOTFOUND|\n\s+at /);
  });

  it("a second npm run dev on the same data directory refuses at once, naming it, the running server and the ways out", async () => {
    const port = await freePort();
    const second = npmRun(
      "dev",
      ["--port", String(port), "--env-file", envFile("second.env", [`APP_SECRET=${SECRET}`]), "--data-dir", dataDir],
      cleanEnv({ MAIL_PORT: String(await freePort()) }),
    );
    const code = await second.exited;
    const output = second.output();
    expect(code, output).toBe(1);
    const shown = displayPath(dataDir);
    expect(output).toContain(`dev: ${shown} is in use by npm run dev (pid `);
    expect(output).toContain(`serving ${a.url}`);
    expect(output).toContain(`--data-dir ${shown}-2`);
    expect(output).toContain("DATABASE_URL=");
    expect(output).not.toMatch(/Ready on|\n\s+at /);
    // The first one is unharmed.
    expect((await fetch(`${a.url}/api/health`)).status).toBe(200);
  });

  const emails = Array.from({ length: 100 }, (_, i) => `dev-suite-${i}-${Date.now()}@example.com`);
  const ids = new Map<string, string>();

  it("lets a local suite's 100 sign-ups and 100 sign-ins a minute from one client through (no 429)", async () => {
    const statuses: number[] = [];
    const started = Date.now();
    // A few at a time, as a front end's test runner does.
    for (let i = 0; i < emails.length; i += 5) {
      const batch = emails.slice(i, i + 5);
      const ups = await Promise.all(batch.map((email) => postJson(`${a.url}/api/auth/sign-up/email`, { email, password: PASSWORD, name: "Dev" })));
      ups.forEach((r, j) => ids.set(batch[j]!, (r.body?.user as { id: string } | undefined)?.id ?? ""));
      const ins = await Promise.all(batch.map((email) => postJson(`${a.url}/api/auth/sign-in/email`, { email, password: PASSWORD })));
      statuses.push(...ups.map((r) => r.status), ...ins.map((r) => r.status));
    }
    console.log(`200 sign-ups and sign-ins against npm run dev took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
    expect(statuses).toEqual(Array(200).fill(200));
  }, 180_000);

  it("with --production-limits, the 11th sign-in a minute from one client is a 429", async () => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const email = `limited-${Date.now()}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await postJson(`${limited.url}/api/auth/sign-in/email`, { email, password: `guess ${i}` })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  }, 90_000);

  it("npm run admin grants the admin role and sets tiers through the running server, audited as changed_by cli", async () => {
    const [adminEmail, userEmail] = [emails[0]!, emails[1]!];
    const admin = (args: string[]) => npmRun("admin", [...args, "--data-dir", dataDir], cleanEnv());

    // Not an admin yet: the admin route refuses.
    const signIn = await fetch(`${a.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: a.url },
      body: JSON.stringify({ email: adminEmail, password: PASSWORD }),
    });
    const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const readTier = () => fetch(`${a.url}/api/admin/users/${ids.get(userEmail)}/tier`, { headers: { cookie } });
    expect((await readTier()).status).toBe(403);

    const grant = admin(["grant-admin", adminEmail.toUpperCase()]);
    expect(await grant.exited, grant.output()).toBe(0);
    expect(grant.output()).toContain(`admin: using the embedded database in ${displayPath(dataDir)}, through npm run dev (pid `);
    expect(grant.output()).toContain(`admin: ${adminEmail} is now an admin (role: admin)`);
    expect((await readTier()).status).toBe(200);

    const setTier = admin(["set-tier", userEmail, "member"]);
    expect(await setTier.exited, setTier.output()).toBe(0);
    expect(setTier.output()).toContain(`admin: ${userEmail}: tier free -> member (recorded in tier_change, changed_by cli)`);
    const history = (await (await readTier()).json()) as { tier: string; history: { fromTier: string; toTier: string; changedBy: string }[] };
    expect(history).toMatchObject({ tier: "member", history: [{ fromTier: "free", toTier: "member", changedBy: "cli" }] });

    const members = admin(["users", "--tier", "member", "--json"]);
    expect(await members.exited, members.output()).toBe(0);
    const listed = JSON.parse(members.output().split("\n").find((l) => l.startsWith("["))!) as { email: string }[];
    expect(listed.map((u) => u.email)).toEqual([userEmail]);

    const unknown = admin(["set-tier", "nobody@example.com", "member"]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toContain("admin: no user with the email nobody@example.com");
    const usage = admin(["set-tier", userEmail, "gold"]);
    expect(await usage.exited).toBe(2);
    expect(usage.output()).toContain("the tier must be one of: anonymous, free, member");
  }, 120_000);

  it("stops everything it started on SIGTERM: no process left, nothing listening on its ports; the data stays", async () => {
    expect(a.ports).toEqual(expect.arrayContaining([a.port, a.mailPort]));
    expect(a.ports.length).toBeGreaterThanOrEqual(4); // + PGlite, the inspector, workerd's own
    a.proc.child.kill("SIGTERM");
    await a.proc.exited;
    expect(await eventually(() => a.pids.filter(isAlive), (alive) => alive.length === 0)).toEqual([]);
    expect(stillListening(a.ports)).toEqual([]);
    // npm passes SIGTERM on to the shell it runs the script in and exits;
    // dev.ts stops everything on the signal or on its parents' exit.
    expect(a.proc.output().split("\n").filter((l) => l.startsWith("dev:")).at(-1)).toMatch(/^dev: stopping( \(SIGTERM\)|: parent process \d+ exited)$/);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    // With no server running, admin opens the directory itself: every user is there.
    const users = npmRun("admin", ["users", "--json", "--data-dir", dataDir], cleanEnv());
    expect(await users.exited, users.output()).toBe(0);
    expect(users.output()).toContain(`admin: using the embedded database in ${displayPath(dataDir)}\n`);
    const listed = JSON.parse(users.output().split("\n").find((l) => l.startsWith("["))!) as { email: string; role: string }[];
    expect(listed.map((u) => u.email).sort()).toEqual([...emails].sort());
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  }, 60_000);

  it("started again on the same directory, it has every user; Ctrl-C stops everything", async () => {
    const again = await startDev("again", ["--data-dir", dataDir, "--var", "REQUIRE_EMAIL_VERIFICATION:false"], {}, "group");
    started.push(again);
    const signIn = await postJson(`${again.url}/api/auth/sign-in/email`, { email: emails[99], password: PASSWORD });
    expect(signIn.status).toBe(200);
    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    process.kill(-again.proc.child.pid!, "SIGINT");
    await again.proc.exited;
    expect(await eventually(() => again.pids.filter(isAlive), (alive) => alive.length === 0)).toEqual([]);
    expect(stillListening(again.ports)).toEqual([]);
    expect(again.proc.output()).toContain("dev: stopping (SIGINT)");
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  }, 150_000);

  it("stops everything it started when the process that ran it dies", async () => {
    // shell's tree: sh -> npm -> sh -> node scripts/dev.ts -> wrangler -> workerd
    expect(shell.ports).toEqual(expect.arrayContaining([shell.port, shell.mailPort]));
    shell.proc.child.kill("SIGKILL");
    await eventually(() => shell.proc.output(), (output) => /dev: stopping: parent process \d+ exited/.test(output), 10_000);
    expect(await eventually(() => shell.pids.filter(isAlive), (alive) => alive.length === 0, 30_000)).toEqual([]);
    expect(stillListening(shell.ports)).toEqual([]);
  }, 60_000);

  it("stops everything on SIGHUP to its own process too", async () => {
    const dev = limited.pids.find((pid) => {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return argv[0]!.endsWith("node") && argv.includes("scripts/dev.ts");
    });
    expect(dev).toBeDefined();
    process.kill(dev!, "SIGHUP");
    await limited.proc.exited;
    expect(limited.proc.output()).toContain("dev: stopping (SIGHUP)");
    expect(await eventually(() => limited.pids.filter(isAlive), (alive) => alive.length === 0)).toEqual([]);
    expect(stillListening(limited.ports)).toEqual([]);
  }, 60_000);
});
