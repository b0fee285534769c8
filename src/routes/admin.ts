import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { TIERS, tierChange, user } from "../db/schema";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { withDatabase } from "../middleware/database";
import { requireAdmin, requireAuth } from "../middleware/session";
import { jsonBody } from "../validation";
import { expiredCacheCookie } from "../auth/session-cache";

const SetTierBody = z.object({ tier: z.enum(TIERS) }).strict();

/**
 * `/api/admin/users/:id/tier`: admins read and change a user's tier. Guards
 * sit on each route so an unknown path is a 404 without a database round trip.
 */
export const adminRoutes = new Hono<AppEnv>()
  .put("/users/:id/tier", withDatabase, requireAuth({ fresh: true }), requireAdmin(), jsonBody(SetTierBody), async (c) => {
    const userId = c.req.param("id");
    const { tier } = c.req.valid("json");
    const adminId = c.var.user.id;
    // The row lock orders concurrent changes so each audit row's from_tier is
    // the tier the change really replaced.
    const change = await c.var.db().transaction(async (tx) => {
      const [target] = await tx.select({ tier: user.tier }).from(user).where(eq(user.id, userId)).for("update");
      if (!target) return null;
      if (target.tier === tier) return { changed: false as const, from: target.tier };
      await tx.update(user).set({ tier }).where(eq(user.id, userId));
      const [row] = await tx
        .insert(tierChange)
        .values({ id: crypto.randomUUID(), userId, fromTier: target.tier, toTier: tier, changedBy: adminId })
        .returning();
      return { changed: true as const, from: target.tier, row: row! };
    });
    if (!change) return errorResponse(c, 404, "user_not_found", "No user with that id");
    // The admin's own cached session (their tier, if they changed their own)
    // is dropped here; the user's other browsers see the change within
    // SESSION_CACHE_MAX_AGE, fresh routes at once.
    if (change.changed) c.header("set-cookie", expiredCacheCookie(c.var.config), { append: true });
    return c.json({
      userId,
      tier,
      previousTier: change.from,
      changed: change.changed,
      ...(change.changed ? { changedBy: change.row.changedBy, changedAt: change.row.changedAt.toISOString() } : {}),
    });
  })
  .get("/users/:id/tier", withDatabase, requireAuth({ fresh: true }), requireAdmin(), async (c) => {
    const userId = c.req.param("id");
    const [target] = await c.var.db().select({ tier: user.tier }).from(user).where(eq(user.id, userId));
    if (!target) return errorResponse(c, 404, "user_not_found", "No user with that id");
    const history = await c.var.db()
      .select()
      .from(tierChange)
      .where(eq(tierChange.userId, userId))
      .orderBy(desc(tierChange.changedAt))
      .limit(100);
    return c.json({ userId, tier: target.tier, history });
  });
