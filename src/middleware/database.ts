import { createMiddleware } from "hono/factory";
import { authFor } from "../auth";
import { runAsAuthRequest } from "../auth/request-scope";
import { lazyConnection } from "../db/client";
import { requestDb, runWithConnection } from "../db/request-db";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";

/**
 * Puts `c.var.db()` and `c.var.auth()` on the request: Drizzle and
 * better-auth, both built once per isolate, whose queries run on this
 * request's one connection. The connection opens on the first query, so a
 * request answered from a session cookie cache opens no socket. An opened
 * connection is closed after the response, in waitUntil, so closing never
 * delays the client.
 */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const connection = lazyConnection(c.env.HYPERDRIVE.connectionString);
  c.set("db", () => requestDb);
  c.set("auth", () => authFor(c.get("config")));
  try {
    await runWithConnection(connection, () =>
      runAsAuthRequest({ waitUntil: (p) => c.executionCtx.waitUntil(p), bindings: c.env }, next),
    );
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
