import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The app's own state-changing routes refuse a cookie-bearing request whose
 * Origin is missing or not trusted, as better-auth does for its routes (with
 * the same list, TRUSTED_ORIGINS plus the public origin). A request without
 * cookies (a bearer token, a server) cannot ride on a browser's session, so
 * it is not checked.
 */
export const checkOrigin = createMiddleware<AppEnv>(async (c, next) => {
  if (SAFE_METHODS.has(c.req.method) || !c.req.header("cookie")) return next();
  const origin = c.req.header("origin");
  if (!origin || origin === "null" || !c.get("config").trustedOrigins.includes(origin)) {
    return errorResponse(c, 403, "invalid_origin", "This request's Origin is not a trusted origin");
  }
  await next();
});
