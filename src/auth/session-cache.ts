import { createAuthMiddleware } from "better-auth/api";
import { expireCookie, getCookieCache, getCookies } from "better-auth/cookies";
import type { Context } from "hono";
import { getSignedCookie } from "hono/cookie";
import type { Config } from "../config";
import type { AuthSession } from "./index";

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

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

function sameText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

/**
 * The session and user from a fresh cache cookie that belongs to this
 * request's session-token cookie, or null (then ask the database). Checks:
 *  - the session-token cookie's signature (APP_SECRET, as better-auth signs it);
 *  - the cache cookie's signature and expiry, and the session's own expiry
 *    (better-auth's getCookieCache, which needs no auth instance);
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
  const token = await getSignedCookie(c, config.secret, names.sessionToken.name);
  if (!token) return null;
  const cached = await getCookieCache(headers, {
    secret: config.secret,
    strategy: SESSION_CACHE_STRATEGY,
    isSecure: names.secure,
  });
  const cachedToken = cached?.session?.token;
  if (!cached || typeof cachedToken !== "string") return null;
  if (!sameText(cachedToken, token)) {
    const hashed = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
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
