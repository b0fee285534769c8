import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { jsonResponse } from "../openapi/responses";
import { describeError, isConnectionError, lazyConnection } from "../db/client";
import type { AppEnv } from "../env";

/**
 * `GET /api/health`: liveness plus a real round trip to the database (one
 * statement). It opens its own connection instead of using withDatabase so that an outage is
 * reported in the health shape rather than as an error.
 */
const HealthAnswer = z.object({ status: z.enum(["ok", "degraded"]), db: z.enum(["ok", "unreachable"]) }).meta({ id: "Health" });

export const health = new Hono<AppEnv>().get(
  "/",
  describeRoute({
    tags: ["Operations"],
    operationId: "health",
    summary: "Liveness and a round trip to the database",
    security: [],
    responses: { 200: jsonResponse("Up, database reachable", HealthAnswer), 503: jsonResponse("Up, database unreachable", HealthAnswer) },
  }),
  async (c) => {
  try {
    const connection = lazyConnection(c.env.HYPERDRIVE.connectionString);
    try {
      // One round trip; no Drizzle needed for it.
      await connection.client.query("select 1");
    } finally {
      c.executionCtx.waitUntil(connection.close());
    }
    return c.json({ status: "ok", db: "ok" });
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    console.error(`health: database unreachable: ${describeError(err)}`);
    return c.json({ status: "degraded", db: "unreachable" }, 503);
  }
  },
);
