import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { AUTH_PATH } from "./config";
import type { AppEnv } from "./env";
import { notFound, onError } from "./errors";
import { withConfig } from "./middleware/config";
import { withDatabase } from "./middleware/database";
import { health } from "./routes/health";

export const app = new Hono<AppEnv>();

app.use(secureHeaders());
app.use(withConfig);

// Only matched routes open a database connection: a 404 costs no round trip.
app.route("/api/health", health);
app.on(["GET", "POST"], `${AUTH_PATH}/*`, withDatabase, (c) => c.var.auth.handler(c.req.raw));

app.notFound(notFound);
app.onError(onError);
