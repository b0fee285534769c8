import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Client } from "pg";
import { inject } from "vitest";
import worker from "../src/index";

export const ORIGIN = "http://localhost:8787";

export type EnvOverrides = Partial<Record<keyof Env | "HYPERDRIVE" | "EMAIL_API_KEY", unknown>>;

/** The Worker's env with some bindings replaced, as a misconfigured deploy would have. */
export function envWith(overrides: EnvOverrides): Env {
  return { ...env, ...overrides } as Env;
}

declare module "vitest" {
  interface ProvidedContext {
    /** test/global-setup.ts: hands out counting proxies in front of the database. */
    pgCounterUrl: string;
  }
}

export interface WireCounts {
  connections: number;
  statements: number;
}

/**
 * An env whose database sits behind a fresh counting proxy (scripts/lib/
 * pg-wire-counter.ts), and a reader of what crossed it: connections opened
 * and statements sent, counted on the wire.
 */
export async function countedEnv(overrides: EnvOverrides = {}) {
  const service = inject("pgCounterUrl");
  const { port } = (await (await fetch(`${service}/counters`, { method: "POST" })).json()) as { port: number };
  const url = new URL(env.HYPERDRIVE.connectionString);
  url.host = `127.0.0.1:${port}`;
  // Only the connection string differs from the real binding.
  const workerEnv = envWith({ ...overrides, HYPERDRIVE: { ...env.HYPERDRIVE, connectionString: url.toString() } });
  const counts = async () => (await (await fetch(`${service}/counters/${port}`)).json()) as WireCounts;
  return { workerEnv, counts };
}

/** The test-only binding whose connection string points at a closed port. */
export function downHyperdrive(): Hyperdrive {
  return (env as unknown as { HYPERDRIVE_DOWN: Hyperdrive }).HYPERDRIVE_DOWN;
}

/** An address in 2001:db8::/32, the IPv6 documentation range. */
export function randomClientAddress(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint16Array(3));
  return `2001:db8:${a!.toString(16)}:${b!.toString(16)}::${c!.toString(16)}`;
}

/** Sends a request through the Worker's own fetch handler and waits for its waitUntil work. */
export async function call(path: string, init: RequestInit = {}, workerEnv: Env = env): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("origin")) headers.set("origin", ORIGIN);
  // Each request from its own client address, as on Cloudflare, so the
  // per-client rate limit only meets the tests that are about it.
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", randomClientAddress());
  const request = new Request(new URL(path, ORIGIN), { ...init, headers });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export function postJson(path: string, body: unknown, init: RequestInit = {}, workerEnv?: Env) {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return call(path, { ...init, method: "POST", headers, body: JSON.stringify(body) }, workerEnv);
}

/** A Cookie header carrying every cookie a response set. */
export function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${crypto.randomUUID()}@example.test`;
}

/** The session cache cookie's name (http origins; `__Secure-` prefixed on https). */
export const SESSION_CACHE_COOKIE = "better-auth.session_data";

/** A Cookie header without the session cache cookie: every request asks the database. */
export function withoutSessionCache(cookie: string): string {
  return cookie
    .split("; ")
    .filter((pair) => pair && !pair.startsWith(`${SESSION_CACHE_COOKIE}=`))
    .join("; ");
}

/** The Cookie header a browser sends after `response`: its Set-Cookie applied to `cookie`. */
export function browserCookie(cookie: string, response: Response): string {
  const jar = new Map(
    cookie
      .split("; ")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair] as const),
  );
  for (const set of response.headers.getSetCookie()) {
    const pair = set.split(";")[0]!;
    const name = pair.slice(0, pair.indexOf("="));
    if (/;\s*max-age=0/i.test(set) || pair === `${name}=`) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join("; ");
}

/**
 * Signs a user up. `cookie` carries the session token only, so the request
 * reads the session from the database (tests that change rows directly see
 * the change at once); `browserCookie` is everything the response set,
 * session cache cookie included, as a browser would send it.
 */
export async function signUp(email = uniqueEmail(), password = "correct horse battery staple") {
  const response = await postJson("/api/auth/sign-up/email", { email, password, name: "Test User" });
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string; email: string }; token: string };
  const all = cookiesFrom(response);
  return { email, password, user: body.user, token: body.token, cookie: withoutSessionCache(all), browserCookie: all };
}

/** A direct connection for asserting on rows, through the same binding the Worker uses. */
export async function withSql<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: env.HYPERDRIVE.connectionString });
  // pg-cloudflare reports its own socket closing after end() as an error event.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A message as the mail catcher returns it (Mailpit's message JSON). */
export interface CaughtMail {
  ID: string;
  Subject: string;
  From: { Name: string; Address: string };
  To: { Name: string; Address: string }[];
  Text: string;
  HTML: string;
}

/** The mail catcher the Worker's HTTP transport posts to (started by test/global-setup.ts). */
export function mailCatcherUrl(): string {
  return env.EMAIL_API_URL;
}

/**
 * Every mail sent to `address`, newest first. `call()` waits for the
 * request's waitUntil work, so a mail a request sent is already here.
 */
export async function mailsTo(address: string): Promise<CaughtMail[]> {
  const query = encodeURIComponent(`to:"${address}"`);
  const list = (await (await fetch(`${mailCatcherUrl()}/api/v1/search?query=${query}&limit=1000`)).json()) as {
    messages: { ID: string }[];
  };
  return Promise.all(
    list.messages.map(async ({ ID }) => (await (await fetch(`${mailCatcherUrl()}/api/v1/message/${ID}`)).json()) as CaughtMail),
  );
}

/** The newest mail to `address`; fails the test when there is none. */
export async function lastMailTo(address: string): Promise<CaughtMail> {
  const [mail] = await mailsTo(address);
  if (!mail) throw new Error(`no mail to ${address}`);
  return mail;
}

/** The first link in a mail's text whose path contains `path`. */
export function linkIn(mail: CaughtMail, path: string): string {
  const link = (mail.Text.match(/https?:\/\/\S+/g) ?? []).find((url) => new URL(url).pathname.includes(path));
  if (!link) throw new Error(`no ${path} link in "${mail.Subject}"`);
  return link;
}

/** A GET of a link from a mail (path and query only, so it reaches the Worker under test). */
export function openLink(link: string, init: RequestInit = {}, workerEnv?: Env): Promise<Response> {
  const url = new URL(link, ORIGIN);
  return call(`${url.pathname}${url.search}`, init, workerEnv);
}

/**
 * Runs `request` while another connection holds a lock it must wait for
 * (`lockSql`, run in an open transaction), then terminates the backend that
 * waits on it: a database connection lost in the middle of a request.
 * Returns the request's response and whether a waiting backend was found.
 */
export async function loseConnectionMidRequest<T>(
  lockSql: string,
  params: unknown[],
  request: () => Promise<T>,
): Promise<{ result: T; terminated: boolean }> {
  const holder = new Client({ connectionString: env.HYPERDRIVE.connectionString });
  holder.on("error", () => undefined);
  await holder.connect();
  let terminated = false;
  try {
    const { rows } = await holder.query<{ version: string }>("select version()");
    if (rows[0]?.version.includes("PGlite")) {
      // Fail at once instead of waiting on a lock that can never be held apart.
      throw new Error(
        "this test needs a PostgreSQL server with separate backends (row locks, pg_terminate_backend); " +
          "the embedded PGlite fallback runs every connection in one session. Set DATABASE_URL to a PostgreSQL server.",
      );
    }
    await holder.query("begin");
    await holder.query(lockSql, params);
    const holderPid = (await holder.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    const pending = request();
    // Watched from a third connection: inside the holder's transaction,
    // pg_stat_activity would stay the snapshot taken at its first read.
    await withSql(async (watcher) => {
      for (let attempt = 0; attempt < 200 && !terminated; attempt++) {
        const waiting = await watcher.query<{ pid: number }>(
          "select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
          [holderPid],
        );
        for (const { pid } of waiting.rows) {
          await watcher.query("select pg_terminate_backend($1)", [pid]);
          terminated = true;
        }
        if (!terminated) await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });
    await holder.query("rollback");
    return { result: await pending, terminated };
  } finally {
    await holder.end().catch(() => undefined);
  }
}
