import { Hono } from "hono";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";
import { requireAuth } from "../middleware/session";

/** `GET /api/me`: any signed-in user, anonymous ones included. */
export const me = new Hono<AppEnv>().get("/", withDatabase, requireAuth(), (c) => {
  const { id, email, name, tier, isAnonymous, emailVerified } = c.var.user;
  return c.json({ id, email, name, tier, isAnonymous: Boolean(isAnonymous), emailVerified });
});
