import { Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import { AUTH_PATH } from "../config";
import type { AppEnv } from "../env";
import { withDatabase } from "../middleware/database";

export const API_VERSION = "0.1.0";

type Document = Record<string, any>;

/**
 * `GET /api/openapi.json`: one OpenAPI 3.1 document for the whole API:
 * better-auth's (its openAPI plugin, paths under /api/auth) merged with the
 * app's routes, which hono-openapi describes from the zod schemas that
 * validate them (describeRoute + jsonBody on each route).
 * `GET /api/docs`: Scalar's reference over that document, its script served
 * from this Worker's static assets (nothing from another host).
 */
export function apiDocs(app: Hono<AppEnv>) {
  return new Hono<AppEnv>()
    .get("/openapi.json", withDatabase, async (c) => {
      const origin = c.var.config.origin;
      const [own, auth] = await Promise.all([
        generateSpecs(app, { documentation: { openapi: "3.1.0" } }, c) as Promise<Document>,
        c.var.auth().api.generateOpenAPISchema() as Promise<Document>,
      ]);
      return c.json(mergeDocuments(own, auth, origin), 200, { "cache-control": "no-cache" });
    })
    .get("/docs", (c) => {
      c.header("Content-Security-Policy", DOCS_CSP);
      return c.html(DOCS_HTML);
    });
}

/** The app's documented /api routes (not the pages, not the auth catch-all) plus better-auth's under AUTH_PATH. */
export function mergeDocuments(own: Document, auth: Document, origin: string): Document {
  const appPaths = Object.fromEntries(
    Object.entries(own.paths ?? {}).filter(([path, item]) => path.startsWith("/api/") && !path.startsWith(`${AUTH_PATH}/`) && Object.keys(item as object).length),
  );
  const authPaths = Object.fromEntries(
    Object.entries(auth.paths ?? {})
      // The plugin's own schema endpoint and reference page are not part of the API.
      .filter(([path]) => !path.startsWith("/open-api/") && path !== "/reference")
      .map(([path, item]) => [`${AUTH_PATH}${path}`, withValidMediaTypes(item as Document)]),
  );
  const appTags = ["Account", "Content", "Admin", "Operations"].map((name) => ({ name }));
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-auth API",
      version: API_VERSION,
      description:
        "Authentication (better-auth, under /api/auth) and the app's tier-gated routes. " +
        "Errors of the app's routes are `{ error: { code, message } }`; better-auth's are `{ code, message }`. " +
        "Browsers authenticate with the session cookie; state-changing requests with a cookie must send a trusted Origin.",
    },
    servers: [{ url: origin }],
    tags: [...(auth.tags ?? []), ...appTags],
    paths: { ...authPaths, ...appPaths },
    components: {
      ...(auth.components ?? {}),
      schemas: { ...(auth.components?.schemas ?? {}), ...(own.components?.schemas ?? {}) },
      securitySchemes: auth.components?.securitySchemes ?? {},
    },
  };
}

/**
 * better-auth 1.7's anonymous plugin puts a schema's `required` list on the
 * media type object itself (delete-anonymous-user's 400), which OpenAPI 3.1
 * does not allow there; it belongs to the schema.
 */
function withValidMediaTypes(item: Document): Document {
  for (const operation of Object.values(item)) {
    for (const answer of Object.values<Document>(operation?.responses ?? {})) {
      for (const media of Object.values<Document>(answer?.content ?? {})) {
        if (!Array.isArray(media.required)) continue;
        media.schema = { ...media.schema, required: media.schema?.required ?? media.required };
        delete media.required;
      }
    }
  }
  return item;
}

// Scalar adds its styles at run time, hence 'unsafe-inline' for styles
// (never for scripts). withDefaultFonts: false keeps it off fonts.scalar.com
// (the page uses system fonts); font-src 'self' would stop them anyway.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// The mount point must not be id="api-reference": Scalar's standalone script
// treats that id as its HTML API and mounts a second, empty reference there
// (a loading skeleton filling the first screen) besides the one docs.js makes.
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · edge-auth</title>
</head>
<body>
<noscript>The interactive reference needs JavaScript; the document itself is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
<div id="reference"></div>
<script src="/assets/vendor/scalar/standalone.js"></script>
<script src="/assets/docs.js"></script>
</body>
</html>
`;

export const DOCS_JS = `Scalar.createApiReference("#reference", {
  url: "/api/openapi.json",
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  mcp: { disabled: true },
  agent: { disabled: true },
  metaData: { title: "edge-auth API" },
});
`;
