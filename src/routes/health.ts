import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { describeError, isConnectionError, lazyConnection } from "../db/client";
import type { AppEnv } from "../env";

/**
 * `GET /api/health`: liveness plus a real round trip to the database (one
 * statement). It opens its own connection instead of using withDatabase so that an outage is
 * reported in the health shape rather than as an error.
 */
export const health = new Hono<AppEnv>().get("/", async (c) => {
  try {
    const connection = lazyConnection(c.env.HYPERDRIVE.connectionString);
    try {
      await connection.db.execute(sql`select 1`);
    } finally {
      c.executionCtx.waitUntil(connection.close());
    }
    return c.json({ status: "ok", db: "ok" });
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    console.error(`health: database unreachable: ${describeError(err)}`);
    return c.json({ status: "degraded", db: "unreachable" }, 503);
  }
});
