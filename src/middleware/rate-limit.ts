import { createMiddleware } from "hono/factory";
import { AUTH_PATH } from "../config";
import type { AppEnv } from "../env";

// Where passwords get guessed, accounts enumerated and mailboxes flooded.
const CREDENTIAL_ENDPOINTS = new RegExp(
  `^${AUTH_PATH}/(sign-in|sign-up|request-password-reset|reset-password|send-verification-email|change-password|change-email|delete-user|verify-password|email-otp|two-factor|callback|passkey)(/|$)`,
);
// Credential endpoints that are GETs: a magic link is opened from a mail, a
// provider redirects back to its callback with the code, and a passkey
// challenge is a stored row, made for anyone who asks.
const CREDENTIAL_GETS = new RegExp(`^${AUTH_PATH}/(magic-link/verify|callback/[^/]+|passkey/generate-(register|authenticate)-options)/?$`);

/**
 * Limits POSTs (and magic-link and passkey-challenge GETs) to better-auth's credential endpoints per client address and
 * endpoint (AUTH_RATE_LIMITER in wrangler.toml). The answer keeps better-auth's
 * error shape, since these are its routes.
 */
export const rateLimitCredentials = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get("config").rateLimits) return next();
  const credential =
    c.req.method === "POST" ? CREDENTIAL_ENDPOINTS.test(c.req.path) : c.req.method === "GET" && CREDENTIAL_GETS.test(c.req.path);
  if (!credential) return next();
  // Set by Cloudflare's edge from the connection; a client cannot choose it.
  const client = clientKey(c.req.header("cf-connecting-ip") ?? "unknown");
  const { success } = await c.env.AUTH_RATE_LIMITER.limit({ key: `${client} ${c.req.path}` });
  if (!success) {
    c.header("Retry-After", "60");
    c.header("X-Retry-After", "60");
    return c.json({ code: "TOO_MANY_REQUESTS", message: "Too many attempts; try again in a minute" }, 429);
  }
  await next();
});

/**
 * An IPv4 address as it is; an IPv6 address by its /64, since one client
 * (one home, one VM) normally holds a whole /64 and could otherwise take a
 * fresh bucket per address.
 */
export function clientKey(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back] : front;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
