import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Client } from "pg";
import worker from "../src/index";

export const ORIGIN = "http://localhost:8787";

export type EnvOverrides = Partial<Record<keyof Env | "HYPERDRIVE", unknown>>;

/** The Worker's env with some bindings replaced, as a misconfigured deploy would have. */
export function envWith(overrides: EnvOverrides): Env {
  return { ...env, ...overrides } as Env;
}

/** The test-only binding whose connection string points at a closed port. */
export function downHyperdrive(): Hyperdrive {
  return (env as unknown as { HYPERDRIVE_DOWN: Hyperdrive }).HYPERDRIVE_DOWN;
}

/** Sends a request through the Worker's own fetch handler and waits for its waitUntil work. */
export async function call(path: string, init: RequestInit = {}, workerEnv: Env = env): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("origin")) headers.set("origin", ORIGIN);
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

export async function signUp(email = uniqueEmail(), password = "correct horse battery staple") {
  const response = await postJson("/api/auth/sign-up/email", { email, password, name: "Test User" });
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string; email: string } };
  return { email, password, user: body.user, cookie: cookiesFrom(response) };
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
