import { Hono } from "hono";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";
import { requireAuth, requireTier } from "../middleware/session";

/** Example tier-gated routes: the pattern every app route follows. */
export const content = new Hono<AppEnv>()
  .use(withDatabase, requireAuth())
  .get("/free", requireTier("free"), (c) => c.json({ content: "free", tier: c.var.user.tier }))
  .get("/member", requireTier("member"), (c) => c.json({ content: "member", tier: c.var.user.tier }));
