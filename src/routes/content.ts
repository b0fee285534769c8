import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { TIERS } from "../db/schema";
import { errorResponses, jsonResponse, SESSION_SECURITY } from "../openapi/responses";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";
import { requireAuth, requireTier } from "../middleware/session";

/**
 * Example tier-gated routes: the pattern every app route follows. The guards
 * sit on each route, not on `.use()`, so an unknown path is a plain 404 that
 * opens no database connection.
 */
const ContentAnswer = z.object({ content: z.string(), tier: z.enum(TIERS) }).meta({ id: "Content" });

const gated = (tier: string) =>
  describeRoute({
    tags: ["Content"],
    operationId: `${tier}Content`,
    summary: `Example route for the ${tier} tier and above`,
    security: SESSION_SECURITY,
    responses: { 200: jsonResponse("The content, and the caller's tier", ContentAnswer), ...errorResponses(401, 403, 503) },
  });

export const content = new Hono<AppEnv>()
  .get("/free", gated("free"), withDatabase, requireAuth(), requireTier("free"), (c) => c.json({ content: "free", tier: c.get("user").tier }))
  .get("/member", gated("member"), withDatabase, requireAuth(), requireTier("member"), (c) =>
    c.json({ content: "member", tier: c.get("user").tier }),
  );
