import { createAuthMiddleware } from "better-auth/api";
import { expireCookie, getCookies, parseCookies } from "better-auth/cookies";
import type { Context } from "hono";
import type { Config } from "../config";
import type { AuthSession } from "./index";
import { sessionTokenHash } from "./session-tokens";

/**
 * better-auth's "compact" cookie cache: base64url JSON of the session and
 * user, HMAC-SHA256-signed with APP_SECRET, with its own expiry. The
 * cheapest to check of its three strategies (one HMAC, no JWT parsing).
 */
export const SESSION_CACHE_STRATEGY = "compact" as const;

export interface SessionCookies {
  sessionToken: { name: string; attributes: Record<string, unknown> };
  sessionData: { name: string; attributes: Record<string, unknown> };
  secure: boolean;
}

const cookiesByConfig = new WeakMap<Config, SessionCookies>();

/** The names and attributes better-auth gives its session cookies under this config. */
export function sessionCookies(config: Config): SessionCookies {
  let cookies = cookiesByConfig.get(config);
  if (!cookies) {
    const all = getCookies({
      baseURL: config.origin,
      session: { expiresIn: config.session.expiresIn, cookieCache: { maxAge: config.sessionCacheMaxAge } },
    });
    cookies = {
      sessionToken: all.sessionToken,
      sessionData: all.sessionData,
      secure: config.origin.startsWith("https://"),
    };
    cookiesByConfig.set(config, cookies);
  }
  return cookies;
}

const encoder = new TextEncoder();

function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

// APP_SECRET's HMAC-SHA256 key, imported once per config: better-auth and
// Hono import it again for every cookie they check.
const hmacKeys = new WeakMap<Config, Promise<CryptoKey>>();
function hmacKey(config: Config): Promise<CryptoKey> {
  let key = hmacKeys.get(config);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(config.secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    hmacKeys.set(config, key);
  }
  return key;
}

function fromBase64(text: string, url: boolean): Uint8Array | null {
  try {
    const standard = url ? text.replace(/-/g, "+").replace(/_/g, "/") : text;
    return Uint8Array.from(atob(standard), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A cookie better-auth signed (better-call's `value.base64(HMAC)`, URI-encoded): the value, or null. */
async function signedValue(raw: string | undefined, config: Config): Promise<string | null> {
  if (!raw) return null;
  const dot = raw.lastIndexOf(".");
  if (dot < 1) return null;
  const value = raw.slice(0, dot);
  const signature = fromBase64(raw.slice(dot + 1), false);
  if (!signature || signature.length !== 32) return null;
  return (await crypto.subtle.verify("HMAC", await hmacKey(config), signature, encoder.encode(value))) ? value : null;
}

// Date fields of the cached rows (better-auth's reader revives them too).
const SESSION_DATES = ["expiresAt", "createdAt", "updatedAt"] as const;
const USER_DATES = ["createdAt", "updatedAt", "banExpires"] as const;
const revive = (row: Record<string, unknown>, fields: readonly string[]) => {
  for (const field of fields) if (typeof row[field] === "string") row[field] = new Date(row[field]);
};

/**
 * The session and user in better-auth's compact cache cookie, if its
 * signature holds and neither it nor the session has expired; else null.
 * The format is better-auth's setCookieCache: base64url of JSON
 * `{ session: { session, user, updatedAt, ... }, expiresAt, signature }`, the
 * signature an HMAC-SHA256 (base64url, no padding) of
 * `JSON.stringify({ ...session, expiresAt })`. Anything else reads as no
 * cache (the database answers), so a change of format costs speed, never
 * safety; a test holds the fast path to 0 statements.
 */
async function compactCache(value: string, config: Config): Promise<{ session: Record<string, unknown>; user: Record<string, unknown> } | null> {
  const bytes = fromBase64(value, true);
  if (!bytes) return null;
  let outer: { session?: unknown; expiresAt?: unknown; signature?: unknown };
  try {
    outer = JSON.parse(new TextDecoder().decode(bytes)) as typeof outer;
  } catch {
    return null;
  }
  const { session: payload, expiresAt, signature } = outer ?? {};
  if (!payload || typeof payload !== "object" || typeof expiresAt !== "number" || typeof signature !== "string") return null;
  const mac = fromBase64(signature, true);
  if (!mac || mac.length !== 32) return null;
  const signed = encoder.encode(JSON.stringify({ ...payload, expiresAt }));
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(config), mac, signed))) return null;
  if (expiresAt < Date.now()) return null;
  const { session, user } = payload as { session?: Record<string, unknown>; user?: Record<string, unknown> };
  if (!session || typeof session !== "object" || !user || typeof user !== "object") return null;
  revive(session, SESSION_DATES);
  revive(user, USER_DATES);
  if (!(session.expiresAt instanceof Date) || !(session.expiresAt.getTime() > Date.now())) return null;
  return { session, user };
}

/**
 * The session and user from a fresh cache cookie that belongs to this
 * request's session-token cookie, or null (then ask the database). Checks,
 * with APP_SECRET's key imported once (this runs on every protected request):
 *  - the session-token cookie's signature (as better-auth signs it);
 *  - the cache cookie's signature and expiry, and the session's own expiry
 *    (compactCache: better-auth's compact format);
 *  - the binding: the cached session's token is the cookie's token, or its
 *    SHA-256 hex (where session tokens are stored hashed at the adapter and a
 *    cached row may carry the stored form). A cache cookie copied next to
 *    another session's token is not trusted.
 * A request with an Authorization header is left to the database path, where
 * the bearer plugin decides which session it is.
 */
export async function readSessionCache(c: Context, config: Config): Promise<AuthSession | null> {
  if (config.sessionCacheMaxAge === 0) return null;
  const headers = c.req.raw.headers;
  const cookieHeader = headers.get("cookie");
  if (!cookieHeader || headers.has("authorization")) return null;
  const names = sessionCookies(config);
  const cookies = parseCookies(cookieHeader);
  // better-auth splits a cache cookie over 4 KB into name.0, name.1, ...
  let data = cookies.get(names.sessionData.name);
  if (!data) {
    const chunks = [...cookies].filter(([name]) => name.startsWith(`${names.sessionData.name}.`));
    chunks.sort(([a], [b]) => Number(a.slice(a.lastIndexOf(".") + 1)) - Number(b.slice(b.lastIndexOf(".") + 1)));
    data = chunks.map(([, value]) => value).join("") || undefined;
  }
  if (!data) return null;
  const token = await signedValue(cookies.get(names.sessionToken.name), config);
  if (!token) return null;
  const cached = await compactCache(data, config);
  const cachedToken = cached?.session.token;
  if (!cached || typeof cachedToken !== "string") return null;
  if (!sameText(cachedToken, token)) {
    const hashed = await sessionTokenHash(token);
    if (!sameText(cachedToken, hashed)) return null;
  }
  return { session: cached.session, user: cached.user } as unknown as AuthSession;
}

/**
 * A Set-Cookie that expires the cache cookie in the browser, with the
 * attributes better-auth set it with (a cookie is replaced only by one of the
 * same name, path and domain).
 */
export function expiredCacheCookie(config: Config): string {
  const { name, attributes } = sessionCookies(config).sessionData;
  const parts = [`${name}=`, "Max-Age=0", `Path=${String(attributes.path ?? "/")}`];
  if (attributes.domain) parts.push(`Domain=${String(attributes.domain)}`);
  if (attributes.secure) parts.push("Secure");
  if (attributes.httpOnly) parts.push("HttpOnly");
  parts.push(`SameSite=${String(attributes.sameSite ?? "lax").replace(/^./, (ch) => ch.toUpperCase())}`);
  return parts.join("; ");
}

// GETs that change a session or its user (the emailed links).
const CHANGING_GETS = new Set(["/verify-email", "/delete-user/callback"]);

/**
 * After every better-auth endpoint that can change a session or its user
 * (every POST: sign-out, revoke-session(s), change-password, update-user,
 * delete-user, the admin endpoints, ...; and the emailed links), the
 * requesting browser's cache cookie is replaced or expired, so that browser
 * sees the change on its next request. Where the endpoint set a new session
 * (sign-in, update-user, a change-password that rotates the session), its
 * cache cookie stands; any other cache cookie set on the way (the session as
 * read before the change, by the endpoint's own session check) is dropped.
 */
export function refreshCacheAfterChange(ctx: HookContext) {
  const isChange = ctx.request?.method === "POST" || CHANGING_GETS.has(ctx.path);
  if (!isChange || !ctx.context.options.session?.cookieCache?.enabled || ctx.context.newSession) return;
  expireCookie(ctx, ctx.context.authCookies.sessionData);
}

/** What an after hook (createAuthMiddleware) is handed; run inside one, so its headers are merged. */
type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];
