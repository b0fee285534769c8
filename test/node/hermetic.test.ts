// `npm test` is hermetic: what a developer edits for `npm run dev` (.dev.vars,
// .env, the shell's environment) does not change its outcome. A copy of the
// repository gets documented, valid, but non-default settings in all three,
// and the Worker tests that depend on the defaults still pass there.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, expect, inject, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const copy = mkdtempSync(path.join(tmpdir(), "edge-auth-hermetic-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

// Settings a developer may well have: each is documented in .dev.vars.example.
const HOSTILE = [
  "APP_SECRET=a-developers-own-secret-Zq81kPw0xLmN3vB7",
  "DELETE_ACCOUNT_CONFIRMATION=fresh-session",
  "EMAIL_RESEND_INTERVAL=0",
  "REQUIRE_EMAIL_VERIFICATION=true",
  "AUTO_SIGN_IN_AFTER_VERIFICATION=false",
  "SESSION_FRESH_AGE=5m",
  "RATE_LIMITS=off",
  "TRUSTED_ORIGINS=http://localhost:5173",
  "EMAIL_FROM=Dev <dev@example.com>",
].join("\n");

it("a hostile .dev.vars, .env and environment do not change the Worker tests' outcome", async () => {
  // The tracked files as they are now (committed or not), and the installed modules.
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  for (const file of files) cpSync(path.join(root, file), path.join(copy, file), { force: true });
  symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"), "dir");
  writeFileSync(path.join(copy, ".dev.vars"), `${HOSTILE}\n`);
  writeFileSync(path.join(copy, ".env"), `${HOSTILE}\n`);

  const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(HOSTILE.split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2))) };
  for (const name of Object.keys(env)) if (name.startsWith("VITEST")) delete env[name];
  env.DATABASE_URL = inject("databaseUrl");
  env.NO_COLOR = "1";
  delete env.FORCE_COLOR;
  const run = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(copy, "node_modules/vitest/vitest.mjs"),
        "run",
        "test/account-delete.test.ts",
        "test/account-verification.test.ts",
        "test/rate-limit.test.ts",
      ],
      { cwd: copy, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
  expect(run.output).toMatch(/Test Files\s+\S*3 passed/);
  expect(run.code, run.output).toBe(0);
  expect(run.output).not.toContain("Using secrets defined in");
}, 240_000);
