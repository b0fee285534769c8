// CSRF and redirects: cookie-bearing writes from other origins are refused,
// on better-auth's routes and on the app's own; redirects stay on trusted origins.
import { describe, expect, it } from "vitest";
import { call, ORIGIN, postJson, signUp } from "../helpers";
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

  it("request-password-reset refuses a redirectTo on an untrusted origin", async () => {
    const { email } = await signUp();
    const response = await postJson("/api/auth/request-password-reset", { email, redirectTo: `${EVIL}/steal` });
    expect(response.status).toBe(403);
  });
});
