import { describe, expect, it } from "vitest";
import { call, downHyperdrive, envWith, postJson } from "./helpers";

describe("health", () => {
  it("reports ok after a round trip to the database", async () => {
    const response = await call("/api/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", db: "ok" });
  });

  it("reports 503 degraded when the database is unreachable", async () => {
    const response = await call("/api/health", {}, envWith({ HYPERDRIVE: downHyperdrive() }));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "degraded", db: "unreachable" });
  });
});

describe("database outage", () => {
  it("turns an auth request into a JSON 503, not a 500", async () => {
    const down = envWith({ HYPERDRIVE: downHyperdrive() });
    const response = await postJson("/api/auth/sign-in/email", { email: "a@example.test", password: "x".repeat(12) }, {}, down);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: { code: "database_unavailable", message: expect.any(String) },
    });
  });
});

describe("unknown routes", () => {
  it("answers a JSON 404", async () => {
    for (const path of ["/nope", "/api/nope"]) {
      const response = await call(path);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.stringContaining(path) } });
    }
  });

  it("needs no database to answer 404", async () => {
    const response = await call("/nope", {}, envWith({ HYPERDRIVE: downHyperdrive() }));
    expect(response.status).toBe(404);
  });
});
