import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { TIERS } from "../db/schema";
import { errorResponses, jsonResponse, SESSION_SECURITY } from "../openapi/responses";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";
import { requireAuth } from "../middleware/session";

/** `GET /api/me`: any signed-in user, anonymous ones included. */
const MeAnswer = z
  .object({ id: z.string(), email: z.string(), name: z.string(), tier: z.enum(TIERS), isAnonymous: z.boolean(), emailVerified: z.boolean() })
  .meta({ id: "Me" });

export const me = new Hono<AppEnv>().get(
  "/",
  describeRoute({
    tags: ["Account"],
    operationId: "me",
    summary: "The signed-in user (anonymous users included)",
    security: SESSION_SECURITY,
    responses: { 200: jsonResponse("The user", MeAnswer), ...errorResponses(401, 503) },
  }),
  withDatabase, requireAuth(), (c) => {
  const { id, email, name, tier, isAnonymous, emailVerified } = c.get("user");
  return c.json({ id, email, name, tier, isAnonymous: Boolean(isAnonymous), emailVerified });
});
