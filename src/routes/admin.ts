import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { TIERS, tierChange, user } from "../db/schema";
import { changeTier } from "../db/tiers";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { withDatabase } from "../middleware/database";
import { requireAdmin, requireAuth } from "../middleware/session";
import { jsonBody } from "../validation";

const SetTierBody = z.object({ tier: z.enum(TIERS) }).strict();

/**
 * `/api/admin/users/:id/tier`: admins read and change a user's tier. Guards
 * sit on each route so an unknown path is a 404 without a database round trip.
 */
export const adminRoutes = new Hono<AppEnv>()
  .put("/users/:id/tier", withDatabase, requireAuth(), requireAdmin(), jsonBody(SetTierBody), async (c) => {
    const userId = c.req.param("id");
    const { tier } = c.req.valid("json");
    const change = await changeTier(c.var.db, userId, tier, c.var.user.id);
    if (!change.found) return errorResponse(c, 404, "user_not_found", "No user with that id");
    return c.json({
      userId,
      tier,
      previousTier: change.from,
      changed: change.changed,
      ...(change.changed ? { changedBy: change.row.changedBy, changedAt: change.row.changedAt.toISOString() } : {}),
    });
  })
  .get("/users/:id/tier", withDatabase, requireAuth(), requireAdmin(), async (c) => {
    const userId = c.req.param("id");
    const [target] = await c.var.db.select({ tier: user.tier }).from(user).where(eq(user.id, userId));
    if (!target) return errorResponse(c, 404, "user_not_found", "No user with that id");
    const history = await c.var.db
      .select()
      .from(tierChange)
      .where(eq(tierChange.userId, userId))
      .orderBy(desc(tierChange.changedAt))
      .limit(100);
    return c.json({ userId, tier: target.tier, history });
  });
