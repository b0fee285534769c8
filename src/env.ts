import type { Config } from "./config";
import type { Auth, AuthSession } from "./auth";
import type { Database } from "./db/client";

/** Hono's typing of this app: the Worker's bindings and what middleware puts on `c.var`. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    /** Drizzle over the request's connection, which opens on the first query. */
    db: () => Database;
    /** better-auth over `db()`, built on first call. */
    auth: () => Auth;
    user: AuthSession["user"];
    session: AuthSession["session"];
  };
}
