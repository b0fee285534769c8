import { describe, expect, it, vi } from "vitest";
import { call, downHyperdrive, envWith, loseConnectionMidRequest, postJson, signUp, withSql } from "./helpers";

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

describe("connection lost in the middle of a request", () => {
  it("is a 503 on an app route, not a 500", async () => {
    const admin = await signUp();
    await withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [admin.user.id]));
    const target = await signUp();
    // The tier change locks the target's row FOR UPDATE; hold that lock, then kill the waiting backend.
    const { result, terminated } = await loseConnectionMidRequest(`select 1 from "user" where id = $1 for update`, [target.user.id], () =>
      call(`/api/admin/users/${target.user.id}/tier`, {
        method: "PUT",
        headers: { "content-type": "application/json", cookie: admin.cookie },
        body: JSON.stringify({ tier: "member" }),
      }),
    );
    expect(terminated).toBe(true);
    expect(result.status).toBe(503);
    expect(await result.json()).toEqual({ error: { code: "database_unavailable", message: expect.any(String) } });
    const tier = await withSql((sql) => sql.query(`select tier from "user" where id = $1`, [target.user.id]));
    expect(tier.rows[0].tier).toBe("free");
  });

  it("is a 503 on a better-auth route, with the CORS headers kept and no token in the logs", async () => {
    const user = await signUp();
    const logged: string[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    // update-user writes the user row: it waits on our row lock, then its backend is killed.
    const { result, terminated } = await loseConnectionMidRequest(`select 1 from "user" where id = $1 for update`, [user.user.id], () =>
      postJson("/api/auth/update-user", { name: "New Name" }, { headers: { cookie: user.cookie } }),
    ).finally(() => vi.restoreAllMocks());
    const token = decodeURIComponent(user.cookie.match(/better-auth\.session_token=([^.;]+)/)![1]!);
    expect(logged.length).toBeGreaterThan(0);
    // The failed UPDATE carried "New Name" as a parameter: no parameter reaches the logs.
    expect(logged.filter((line) => [token, user.email, "New Name"].some((secret) => line.includes(secret)))).toEqual([]);
    expect(terminated).toBe(true);
    expect(result.status).toBe(503);
    expect(await result.json()).toEqual({ error: { code: "database_unavailable", message: expect.any(String) } });
    expect(result.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(result.headers.get("access-control-allow-credentials")).toBe("true");
  });
});

describe("CORS", () => {
  it("allows credentialed requests from trusted origins only, never with *", async () => {
    const preflight = (origin: string) =>
      call("/api/auth/sign-in/email", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const trusted = await preflight("http://localhost:8787");
    expect(trusted.status).toBe(204);
    expect(trusted.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(trusted.headers.get("access-control-allow-credentials")).toBe("true");

    const untrusted = await preflight("https://evil.example");
    expect(untrusted.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("trusts the origins in TRUSTED_ORIGINS, for CORS and for better-auth's origin check", async () => {
    const user = await signUp();
    const app = "https://app.example.com";
    const signOut = (workerEnv: Env) =>
      call("/api/auth/sign-out", { method: "POST", headers: { origin: app, cookie: user.cookie } }, workerEnv);

    const refused = await signOut(envWith({ TRUSTED_ORIGINS: "" }));
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();

    const allowed = await signOut(envWith({ TRUSTED_ORIGINS: `https://other.example, ${app}` }));
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(app);
  });
});

describe("request bodies", () => {
  it("refuses a body over 64 KiB with a JSON 413 before parsing it", async () => {
    const response = await postJson("/api/auth/sign-up/email", { email: "a@example.test", password: "x".repeat(70 * 1024), name: "X" });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message: expect.any(String) } });
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

  it("needs no database to answer 404, inside the app's route modules too", async () => {
    for (const path of ["/nope", "/api/content/nope", "/api/admin/nope", "/api/me/nope"]) {
      const response = await call(path, {}, envWith({ HYPERDRIVE: downHyperdrive() }));
      expect(response.status, path).toBe(404);
    }
  });
});
