import { desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { TIERS, tierChange, user } from "../db/schema";
import { changeTier } from "../db/tiers";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { withDatabase } from "../middleware/database";
import { requireAdmin, requireAuth } from "../middleware/session";
import { errorResponses, jsonResponse, SESSION_SECURITY } from "../openapi/responses";
import { jsonBody } from "../validation";
import { expiredCacheCookie } from "../auth/session-cache";

const SetTierBody = z.object({ tier: z.enum(TIERS) }).strict().meta({ id: "SetTierBody" });

const TierChangeAnswer = z
  .object({
    userId: z.string(),
    tier: z.enum(TIERS),
    previousTier: z.enum(TIERS),
    changed: z.boolean(),
    changedBy: z.string().optional(),
    changedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "TierChange" });

const TierHistoryAnswer = z
  .object({
    userId: z.string(),
    tier: z.enum(TIERS),
    history: z.array(
      z.object({ id: z.string(), userId: z.string(), fromTier: z.enum(TIERS), toTier: z.enum(TIERS), changedBy: z.string().nullable(), changedAt: z.iso.datetime() }),
    ),
  })
  .meta({ id: "TierHistory" });

const ADMIN = { tags: ["Admin"], security: SESSION_SECURITY };

/**
 * `/api/admin/users/:id/tier`: admins read and change a user's tier. Guards
 * sit on each route so an unknown path is a 404 without a database round trip.
 */
export const adminRoutes = new Hono<AppEnv>()
  .put(
    "/users/:id/tier",
    describeRoute({
      ...ADMIN,
      operationId: "setUserTier",
      summary: "Change a user's tier (admins); records who changed it",
      responses: { 200: jsonResponse("The tier now, and what it was", TierChangeAnswer), ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
    }),
    withDatabase, requireAuth({ fresh: true }), requireAdmin(), jsonBody(SetTierBody), async (c) => {
    const userId = c.req.param("id");
    const { tier } = c.req.valid("json");
    const change = await changeTier(c.get("db")(), userId, tier, c.get("user").id);
    if (!change.found) return errorResponse(c, 404, "user_not_found", "No user with that id");
    // The admin's own cached session (their tier, if they changed their own)
    // is dropped here; the user's other browsers see the change within
    // SESSION_CACHE_MAX_AGE, fresh routes at once.
    if (change.changed) c.header("set-cookie", expiredCacheCookie(c.get("config")), { append: true });
    return c.json({
      userId,
      tier,
      previousTier: change.from,
      changed: change.changed,
      ...(change.changed ? { changedBy: change.row.changedBy, changedAt: change.row.changedAt.toISOString() } : {}),
    });
  })
  .get(
    "/users/:id/tier",
    describeRoute({
      ...ADMIN,
      operationId: "getUserTier",
      summary: "A user's tier and its last 100 changes (admins)",
      responses: { 200: jsonResponse("The tier and its history, newest first", TierHistoryAnswer), ...errorResponses(401, 403, 404, 503) },
    }),
    withDatabase, requireAuth({ fresh: true }), requireAdmin(), async (c) => {
    const userId = c.req.param("id");
    const [target] = await c.get("db")().select({ tier: user.tier }).from(user).where(eq(user.id, userId));
    if (!target) return errorResponse(c, 404, "user_not_found", "No user with that id");
    const history = await c.get("db")()
      .select()
      .from(tierChange)
      .where(eq(tierChange.userId, userId))
      .orderBy(desc(tierChange.changedAt))
      .limit(100);
    return c.json({ userId, tier: target.tier, history });
  });
