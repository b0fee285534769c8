import { createMiddleware } from "hono/factory";
import { createAuth, type Auth } from "../auth";
import { lazyConnection, type Database } from "../db/client";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

/**
 * Puts `c.var.db()` and `c.var.auth()` on the request: Drizzle over the
 * request's one connection, and better-auth over that Drizzle. Both are made
 * on first use and the connection opens on the first query, so a request
 * answered from a session cookie cache builds neither and opens no socket.
 * An opened connection is closed after the response, in waitUntil, so closing
 * never delays the client.
 */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const connection = lazyConnection(c.env.HYPERDRIVE.connectionString);
  let auth: Auth | undefined;
  c.set("db", (): Database => connection.db);
  c.set("auth", () => {
    auth ??= createAuth(connection.db, c.var.config, { waitUntil: (p) => c.executionCtx.waitUntil(p), bindings: c.env });
    return auth;
  });
  try {
    await next();
    // better-auth turns a failed query into its own 500; when the connection
    // is what failed, the honest answer is 503.
    if (c.res.status >= 500 && connection.opened && !(await connection.alive())) {
      const failed = c.res;
      c.res = undefined;
      c.res = errorResponse(c, 503, "database_unavailable", "The database is unavailable; try again shortly");
      // Keep CORS on the rewritten response, or browsers cannot read it.
      for (const [name, value] of failed.headers) {
        if (name.startsWith("access-control-") || name === "vary") c.res.headers.set(name, value);
      }
    }
  } finally {
    if (connection.opened) c.executionCtx.waitUntil(connection.close());
  }
});
