import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { prepareAuth } from "./auth";
import { AUTH_PATH } from "./config";
import type { AppEnv } from "./env";
import { errorResponse, notFound, onError } from "./errors";
import { withConfig } from "./middleware/config";
import { withDatabase } from "./middleware/database";
import { noStore } from "./middleware/no-store";
import { checkOrigin } from "./middleware/origin";
import { rateLimitCredentials } from "./middleware/rate-limit";
import { createPages } from "./pages";
import { adminRoutes } from "./routes/admin";
import { content } from "./routes/content";
import { health } from "./routes/health";
import { me } from "./routes/me";
import { apiDocs } from "./routes/openapi";

export const app = new Hono<AppEnv>();

app.use(secureHeaders());
app.use("/api/*", noStore);
app.use(withConfig);
// Credentialed CORS only for the configured origins: never `*` with cookies.
app.use(
  "/api/*",
  cors({
    origin: (origin, c) => (c.get("config").trustedOrigins.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: ["content-type", "authorization"],
    maxAge: 600,
  }),
);
// Auth and app bodies are small JSON; refuse anything big before parsing it.
app.use(
  "/api/*",
  bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => errorResponse(c, 413, "payload_too_large", "Request body is larger than 64 KiB"),
  }),
);

// better-auth checks Origin on its own routes; this does it on the app's.
app.use("/api/*", async (c, next) => (c.req.path.startsWith(`${AUTH_PATH}/`) ? next() : checkOrigin(c, next)));

// Only matched routes open a database connection: a 404 costs no round trip.
app.route("/api/health", health);
app.on(["GET", "POST"], `${AUTH_PATH}/*`, rateLimitCredentials, withDatabase, async (c) => {
  // The OIDC discovery document, fetched in this request if the isolate has none yet.
  await prepareAuth(c.get("config"));
  return c.get("auth")().handler(c.req.raw);
});
app.route("/api/me", me);
app.route("/api/content", content);
app.route("/api/admin", adminRoutes);
app.route("/api", apiDocs(app));
// Account pages at /: clients of the API above, through this same app.
app.route("/", createPages((request, env, ctx) => app.fetch(request, env, ctx)));

app.notFound(notFound);
app.onError(onError);
