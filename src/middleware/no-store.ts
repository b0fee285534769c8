import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

/**
 * Every answer under /api except the health check carries account data or a
 * credential (sign-in's body has the session token, /api/me the user), or
 * depends on who asks: no cache, shared or private, may keep it, and a
 * cache that ignores no-store still must not serve one user's answer to
 * another cookie.
 */
export const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.path === "/api/health") return;
  c.res.headers.set("Cache-Control", "no-store");
  const vary = c.res.headers.get("Vary");
  if (!vary?.split(",").some((v) => v.trim().toLowerCase() === "cookie")) c.res.headers.set("Vary", vary ? `${vary}, Cookie` : "Cookie");
});
