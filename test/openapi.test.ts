// GET /api/openapi.json: one valid OpenAPI 3.1 document for better-auth's
// routes and the app's, every app route in it with its error answers.
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { AUTH_PATH } from "../src/config";
import { call } from "./helpers";

async function document() {
  const response = await call("/api/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** Every route the app itself serves under /api, as OpenAPI path and method. */
function appRoutes(): { path: string; method: string }[] {
  const seen = new Set<string>();
  return app.routes
    .filter((r) => r.path.startsWith("/api/") && !r.path.startsWith(`${AUTH_PATH}/`) && r.method !== "ALL")
    .filter((r) => !["/api/openapi.json", "/api/docs"].includes(r.path))
    .map((r) => ({ path: r.path.replace(/:(\w+)/g, "{$1}").replace(/\/$/, ""), method: r.method.toLowerCase() }))
    .filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as any);
    expect(result.valid ? [] : result.errors.slice(0, 3)).toEqual([]);
  });

  it("has better-auth's routes under /api/auth and the session cookie scheme", async () => {
    const doc = await document();
    for (const path of ["/sign-in/email", "/sign-up/email", "/get-session", "/reset-password", "/revoke-session-by-id", "/sign-in/anonymous", "/admin/set-role"]) {
      expect(Object.keys(doc.paths), path).toContain(`${AUTH_PATH}${path}`);
    }
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/api/auth/open-api"))).toBe(false);
    expect(doc.components.securitySchemes.apiKeyCookie).toMatchObject({ type: "apiKey", in: "cookie" });
  });

  it("documents every app route, with its request body from the validating zod schema and its errors in the app's shape", async () => {
    const doc = await document();
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const { path, method } of routes) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path} is undocumented`).toBeDefined();
      if (path === "/api/health") continue;
      expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(["200", "401", "503"]));
      for (const [status, answer] of Object.entries<any>(operation.responses)) {
        if (status.startsWith("2")) continue;
        const schema = answer.content["application/json"].schema;
        expect(schema.$ref ?? schema, `${method} ${path} ${status}`).toBe("#/components/schemas/Error");
      }
      expect(operation.security).toEqual([{ apiKeyCookie: [] }, { bearerAuth: [] }]);
    }
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
    const setTier = doc.paths["/api/admin/users/{id}/tier"].put;
    expect(Object.keys(setTier.responses)).toEqual(expect.arrayContaining(["400", "403", "404", "409", "413"]));
    const body = setTier.requestBody.content["application/json"].schema;
    const resolved = body.$ref ? doc.components.schemas[body.$ref.split("/").pop()] : body;
    expect(resolved.properties.tier.enum).toEqual(["anonymous", "free", "member"]);
  });

  it("serves the reference page with its script from this Worker only", async () => {
    const response = await call("/api/docs");
    expect(response.status).toBe(200);
    const html = await response.text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/assets/vendor/scalar/standalone.js", "/assets/docs.js"]);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/https?:/);
  });
});
