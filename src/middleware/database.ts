import { createMiddleware } from "hono/factory";
import { createAuth } from "../auth";
import { connect } from "../db/client";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

/**
 * Opens the request's connection and builds Drizzle and better-auth over it
 * (`c.var.db`, `c.var.auth`). The connection is closed after the response,
 * in waitUntil, so closing never delays the client.
 */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const connection = await connect(c.env.HYPERDRIVE.connectionString);
  try {
    c.set("db", connection.db);
    c.set(
      "auth",
      createAuth(connection.db, c.var.config, { waitUntil: (p) => c.executionCtx.waitUntil(p), bindings: c.env }),
    );
    await next();
    // better-auth turns a failed query into its own 500; when the connection
    // is what failed, the honest answer is 503.
    if (c.res.status >= 500 && !(await connection.alive())) {
      const failed = c.res;
      c.res = undefined;
      c.res = errorResponse(c, 503, "database_unavailable", "The database is unavailable; try again shortly");
      // Keep CORS on the rewritten response, or browsers cannot read it.
      for (const [name, value] of failed.headers) {
        if (name.startsWith("access-control-") || name === "vary") c.res.headers.set(name, value);
      }
    }
  } finally {
    c.executionCtx.waitUntil(connection.close());
  }
});
