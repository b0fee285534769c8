import { Hono } from "hono";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";
import { requireAuth, requireTier } from "../middleware/session";

/**
 * Example tier-gated routes: the pattern every app route follows. The guards
 * sit on each route, not on `.use()`, so an unknown path is a plain 404 that
 * opens no database connection.
 */
export const content = new Hono<AppEnv>()
  .get("/free", withDatabase, requireAuth(), requireTier("free"), (c) => c.json({ content: "free", tier: c.var.user.tier }))
  .get("/member", withDatabase, requireAuth(), requireTier("member"), (c) =>
    c.json({ content: "member", tier: c.var.user.tier }),
  );
