import { createMiddleware } from "hono/factory";
import { TIERS, type Tier } from "../db/schema";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

const rank = (tier: Tier) => TIERS.indexOf(tier);

/**
 * 401 unless the request carries a live session; puts the user and session on
 * `c.var`. The session is read from the database, never from better-auth's
 * cookie cache, so a revoked session or a changed tier counts on the very next
 * request. Needs withDatabase before it.
 */
export function requireAuth() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const result = await c.var.auth.api.getSession({
      headers: c.req.raw.headers,
      query: { disableCookieCache: true },
    });
    if (!result) return errorResponse(c, 401, "unauthenticated", "Sign in to use this route");
    c.set("user", result.user);
    c.set("session", result.session);
    await next();
  });
}

/** 403 unless the signed-in user's tier is at least `min` (anonymous < free < member). */
export function requireTier(min: Tier) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const current = c.var.user.tier;
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
    if (!roles.includes("admin") && !c.var.config.adminUserIds.includes(user.id)) {
      return errorResponse(c, 403, "admin_required", "This route is for admins");
    }
    await next();
  });
}
