// Helpers shared by the security matrix (test/security/*.test.ts).
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { call, cookiesFrom, lastMailTo, postJson, withoutSessionCache, withSql } from "../helpers";

/** The raw session token a session cookie carries (before its `.signature`). */
export function sessionTokenOf(cookie: string): string {
  const value = /better-auth\.session_token=([^;]+)/.exec(cookie)?.[1];
  if (!value) throw new Error("no session cookie");
  return decodeURIComponent(value).split(".")[0]!;
}

/** A session cookie for `token`, signed as better-auth signs it (HMAC-SHA256 with APP_SECRET). */
export async function signedSessionCookie(token: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(env.APP_SECRET), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
  return `better-auth.session_token=${encodeURIComponent(`${token}.${btoa(String.fromCharCode(...signature))}`)}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether a cookie still gets a session from the app's own route. */
export const works = async (cookie: string, workerEnv?: Env) => (await call("/api/me", { headers: { cookie } }, workerEnv)).status === 200;

export async function signIn(email: string, password: string, workerEnv?: Env, headers: Record<string, string> = {}) {
  const response = await postJson("/api/auth/sign-in/email", { email, password }, { headers }, workerEnv);
  // Session token only, like signUp(): the request reads the database, so a
  // revocation from elsewhere shows at once (the cache window is
  // test/session-cache.test.ts's subject).
  return { response, cookie: withoutSessionCache(cookiesFrom(response)) };
}

export const tokensOf = (userId: string) =>
  withSql(async (sql) => (await sql.query<{ id: string; token: string }>(`select id, token from session where user_id = $1`, [userId])).rows);

/** Makes a user an admin by role, as POST /api/auth/admin/set-role would. */
export const makeAdmin = (userId: string) => withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [userId]));

export function expectNoStore(response: Response) {
  expect(response.headers.get("cache-control") ?? "").toContain("no-store");
}

/**
 * The token of the newest reset mail to `email`: from the link's fragment
 * (`#token=...`) when it has one, else the last segment of its path.
 */
export async function resetTokenFor(email: string): Promise<string> {
  const mail = await lastMailTo(email);
  const link = (mail.Text.match(/https?:\/\/\S+/g) ?? []).find((url) => url.includes("#token=") || url.includes("reset-password"));
  if (!link) throw new Error(`no reset link in "${mail.Subject}"`);
  const url = new URL(link);
  return new URLSearchParams(url.hash.slice(1)).get("token") ?? decodeURIComponent(url.pathname.split("/").pop()!);
}
