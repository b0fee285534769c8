import { createMiddleware } from "hono/factory";
import { TIERS, type Tier } from "../db/schema";
import type { AppEnv } from "../env";
import { readSessionCache } from "../auth/session-cache";
import { errorResponse } from "../errors";

const rank = (tier: Tier) => TIERS.indexOf(tier);

export interface RequireAuthOptions {
  /**
   * Ask the database even when a fresh cache cookie is present, so a revoked
   * session or a changed tier counts on the very next request (admin routes).
   */
  fresh?: boolean;
}

/**
 * 401 unless the request carries a live session; puts the user and session on
 * `c.var`. A fresh session cache cookie that belongs to the request's session
 * token answers without building better-auth or opening a connection; then a
 * revocation made elsewhere counts within SESSION_CACHE_MAX_AGE. Otherwise (no
 * or a stale, tampered or foreign cache cookie, a bearer token, or `fresh`)
 * better-auth reads the session from the database, and the cache cookie it
 * re-issues goes out on the response. Needs withDatabase before it.
 */
export function requireAuth({ fresh = false }: RequireAuthOptions = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!fresh) {
      const cached = await readSessionCache(c, c.get("config"));
      if (cached) {
        c.set("user", cached.user);
        c.set("session", cached.session);
        return next();
      }
    }
    const { headers, response: result } = await c.get("auth")().api.getSession({
      headers: c.req.raw.headers,
      query: fresh ? { disableCookieCache: true } : {},
      returnHeaders: true,
    });
    // The re-issued (or expired) cache cookie, on every answer of this route.
    for (const cookie of headers.getSetCookie()) c.header("set-cookie", cookie, { append: true });
    if (!result) return errorResponse(c, 401, "unauthenticated", "Sign in to use this route");
    c.set("user", result.user);
    c.set("session", result.session);
    await next();
  });
}

/** 403 unless the signed-in user's tier is at least `min` (anonymous < free < member). */
export function requireTier(min: Tier) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const current = c.get("user").tier;
    if (rank(current) < rank(min)) {
      return errorResponse(c, 403, "tier_required", `This route needs the ${min} tier`, { required: min, current });
    }
    await next();
  });
}

/** 403 unless the signed-in user is an admin (role "admin", or listed in ADMIN_USER_IDS). */
export function requireAdmin() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { user } = c.var;
    const roles = (user.role ?? "").split(",").map((r) => r.trim());
    if (!roles.includes("admin") && !c.get("config").adminUserIds.includes(user.id)) {
      return errorResponse(c, 403, "admin_required", "This route is for admins");
    }
    await next();
  });
}
