// CSRF and redirects: cookie-bearing writes from other origins are refused,
// on better-auth's routes and on the app's own; redirects stay on trusted origins.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, ORIGIN, postJson, randomClientAddress, signUp } from "../helpers";
import { makeAdmin } from "./helpers";

const EVIL = "https://evil.example";

async function admin() {
  const a = await signUp();
  await makeAdmin(a.user.id);
  return a;
}

const putTier = (userId: string, headers: Record<string, string>) =>
  call(`/api/admin/users/${userId}/tier`, { method: "PUT", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ tier: "member" }) });

describe("CSRF and redirects", () => {
  it("PUT /api/admin/users/:id/tier with an admin cookie and Origin https://evil.example is refused (finding 8)", async () => {
    const { cookie } = await admin();
    const target = await signUp();
    const response = await putTier(target.user.id, { cookie, origin: EVIL });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: "invalid_origin", message: expect.any(String) } });
  });

  it("a cookie-bearing write to the app with an Origin of null is refused", async () => {
    const { cookie } = await admin();
    const target = await signUp();
    expect((await putTier(target.user.id, { cookie, origin: "null" })).status).toBe(403);
  });

  it("a cookie-bearing write to the app with no Origin at all is refused, whatever its Referer", async () => {
    const { cookie } = await admin();
    const target = await signUp();
    // The test helper adds the trusted Origin to every request; this one goes to the Worker without it.
    const request = new Request(`${ORIGIN}/api/admin/users/${target.user.id}/tier`, {
      method: "PUT",
      headers: { "content-type": "application/json", cookie, referer: `${ORIGIN}/account`, "cf-connecting-ip": randomClientAddress() },
      body: JSON.stringify({ tier: "member" }),
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: "invalid_origin", message: expect.any(String) } });
  });

  it("DELETE and POST to the app are Origin-checked like PUT", async () => {
    const { cookie } = await admin();
    for (const method of ["DELETE", "POST", "PATCH"]) {
      const response = await call("/api/admin/users/x/tier", { method, headers: { cookie, origin: EVIL } });
      expect([method, response.status]).toEqual([method, 403]);
    }
  });

  it("the same write from the trusted origin goes through", async () => {
    const { cookie } = await admin();
    const target = await signUp();
    expect((await putTier(target.user.id, { cookie, origin: ORIGIN })).status).toBe(200);
  });

  it("a write without cookies is not Origin-checked (it cannot ride on a browser session): it gets 401, not 403", async () => {
    const target = await signUp();
    const response = await putTier(target.user.id, { origin: EVIL });
    expect(response.status).toBe(401);
  });

  it("better-auth's own sign-out refuses a foreign Origin with the cookie", async () => {
    const { cookie } = await signUp();
    const response = await postJson("/api/auth/sign-out", {}, { headers: { cookie, origin: EVIL } });
    expect(response.status).toBe(403);
  });

  it("the by-id revoke endpoints this app adds to better-auth refuse a foreign Origin with the cookie", async () => {
    const { cookie } = await admin();
    const [own] = (await (await call("/api/auth/list-sessions", { headers: { cookie } })).json()) as { id: string }[];
    for (const [path, body] of [
      ["/api/auth/revoke-session-by-id", { id: own!.id }],
      ["/api/auth/admin/revoke-user-session-by-id", { sessionId: own!.id }],
    ] as const) {
      const response = await postJson(path, body, { headers: { cookie, origin: EVIL } });
      expect([path, response.status]).toEqual([path, 403]);
    }
    expect((await call("/api/me", { headers: { cookie } })).status).toBe(200);
  });

  it("request-password-reset refuses a redirectTo on an untrusted origin", async () => {
    const { email } = await signUp();
    const response = await postJson("/api/auth/request-password-reset", { email, redirectTo: `${EVIL}/steal` });
    expect(response.status).toBe(403);
  });
});
