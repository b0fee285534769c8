// Starts `npm run dev` (embedded PGlite in a fresh directory, its own port and
// MAIL_PORT, settings from a throwaway env file instead of .dev.vars) and
// Debian's Chromium through playwright-core; stops both.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

const root = path.resolve(import.meta.dirname, "../..");
export const RESULTS_DIR = path.join(root, "test-results");

/** `count` distinct free ports: all held open at once, so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface DevServer {
  url: string;
  mailUrl: string;
  stop(): Promise<void>;
  output(): string;
}

/** The journey's settings, whatever the developer's .dev.vars says. */
const SETTINGS = {
  APP_SECRET: randomBytes(32).toString("base64url"),
  REQUIRE_EMAIL_VERIFICATION: "true",
  AUTO_SIGN_IN_AFTER_VERIFICATION: "true",
  DELETE_ACCOUNT_CONFIRMATION: "email",
  EMAIL_TRANSPORT: "http",
  EMAIL_RESEND_INTERVAL: "60s",
  SESSION_FRESH_AGE: "1d",
};

export async function startDev(overrides: Partial<Record<keyof typeof SETTINGS, string>> = {}): Promise<DevServer> {
  const [port, mailPort, inspectorPort] = (await freePorts(3)) as [number, number, number];
  const work = mkdtempSync(path.join(tmpdir(), "edge-auth-e2e-"));
  const envFile = path.join(work, "e2e.env");
  writeFileSync(envFile, Object.entries({ ...SETTINGS, ...overrides }).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, MAIL_PORT: String(mailPort), TRUSTED_ORIGINS: "" };
  delete env.DATABASE_URL;
  delete env.AUTH_BASE_URL;
  let log = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(root, "node_modules/tsx/dist/cli.mjs"), "scripts/dev.ts", "--port", String(port), "--data-dir", path.join(work, "pglite"), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--env-file", envFile],
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      // The whole group: tsx, dev.ts, wrangler and workerd.
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };

  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`npm run dev exited early:\n${log}`);
    }
    try {
      const health = await fetch(`${url}/api/health`);
      if (health.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`npm run dev did not answer within 150 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, mailUrl: `http://127.0.0.1:${mailPort}`, stop, output: () => log };
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
}

export interface Mail {
  ID: string;
  Subject: string;
  Text: string;
  To: { Address: string }[];
}

/** The newest mail to `address` with `subject`, waiting for it to arrive. */
export async function waitForMail(mailUrl: string, address: string, subject: string): Promise<Mail> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const query = encodeURIComponent(`to:"${address}"`);
    const list = (await (await fetch(`${mailUrl}/api/v1/search?query=${query}&limit=100`)).json()) as { messages: { ID: string; Subject: string }[] };
    const found = list.messages.find((m) => m.Subject === subject);
    if (found) return (await (await fetch(`${mailUrl}/api/v1/message/${found.ID}`)).json()) as Mail;
    if (Date.now() > deadline) throw new Error(`no mail "${subject}" to ${address}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function linkFrom(mail: Mail): string {
  const link = mail.Text.match(/https?:\/\/\S+/)?.[0];
  if (!link) throw new Error(`no link in "${mail.Subject}"`);
  return link;
}

const axeSource = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

export interface AuditRecord {
  name: string;
  url: string;
  violations: { id: string; impact: string | null; help: string; nodes: number }[];
}

export const audits: AuditRecord[] = [];

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page and saves a screenshot as
 * test-results/<name>.png. axe goes in through the DevTools protocol
 * (evaluate), so the page's CSP stays as strict as users get it.
 */
export async function audit(page: Page, name: string, { fullPage = true } = {}): Promise<AxeViolation[]> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage });
  await page.evaluate(axeSource);
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })`,
  )) as { violations: AxeViolation[] };
  audits.push({
    name,
    url: page.url(),
    violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })),
  });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

export function saveAudits(): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, "axe.json"), JSON.stringify(audits, null, 2));
}
