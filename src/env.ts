import type { Config } from "./config";
import type { Auth, AuthSession } from "./auth";
import type { Database } from "./db/client";

/** Hono's typing of this app: the Worker's bindings and what middleware puts on `c.var`. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    /** Drizzle on the request's connection, which opens on the first query (withDatabase). */
    db: () => Database;
    /** better-auth on the same connection (one instance per isolate and config). */
    auth: () => Auth;
    user: AuthSession["user"];
    session: AuthSession["session"];
  };
}
