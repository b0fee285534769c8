// OAuth and OpenID Connect sign-in under attack, against the real provider
// on 127.0.0.1 (test/oidc-provider.ts): forged or replayed callbacks, state
// from another browser, redirects to foreign origins, guessing at the
// callback. Each refusal leaves no session behind.
import { describe, expect, it } from "vitest";
import { call, ORIGIN, postJson, randomClientAddress, uniqueEmail, withSql } from "../helpers";
import { oidcEnv, signInWithProvider, startSocial, throughProvider } from "../provider-helpers";
import { post, userWithTwoFactor } from "../two-factor-helpers";

const EVIL = "https://evil.example";
const workerEnv = oidcEnv();

const errorOf = (response: Response) => new URL(response.headers.get("location") ?? "", ORIGIN).searchParams.get("error");
const sessionSet = (response: Response) => /session_token=[^;]/.test(response.headers.getSetCookie().join("\n"));

/** A completed provider round trip whose callback has not reached the Worker yet. */
async function pendingCallback(email = uniqueEmail("oauth-attack")) {
  const start = await startSocial(workerEnv, email);
  const callback = await throughProvider(start.authorizationUrl.href);
  const open = (url: URL, cookie = start.cookie) => call(`${url.pathname}${url.search}`, { headers: { cookie } }, workerEnv);
  return { start, callback, open };
}

describe("OAuth state and redirects", () => {
  it("a callback whose state was tampered with is refused", async () => {
    const { callback, open } = await pendingCallback();
    callback.searchParams.set("state", `${callback.searchParams.get("state")!.slice(0, -1)}A`);
    const response = await open(callback);
    expect(response.status).toBe(302);
    expect(errorOf(response)).toMatch(/state/);
    expect(sessionSet(response)).toBe(false);
  });

  it("a callback without a state is refused", async () => {
    const { callback, open } = await pendingCallback();
    callback.searchParams.delete("state");
    const response = await open(callback);
    expect(errorOf(response)).toBe("state_not_found");
    expect(sessionSet(response)).toBe(false);
  });

  it("a victim's callback opened in the attacker's browser (without the state cookie) is refused", async () => {
    // Login CSRF: the attacker starts a flow and sends the victim the callback link.
    const { callback, open } = await pendingCallback();
    const response = await open(callback, "");
    expect(response.status).toBe(302);
    expect(errorOf(response)).toMatch(/state/);
    expect(sessionSet(response)).toBe(false);
  });

  it("a callback replayed after it signed in is refused", async () => {
    const { callback, open } = await pendingCallback();
    const first = await open(callback);
    expect(sessionSet(first)).toBe(true);
    const replay = await open(callback);
    expect(errorOf(replay)).toMatch(/state/);
    expect(sessionSet(replay)).toBe(false);
  });

  it("the authorization request carries a PKCE S256 challenge, and the code alone is not enough", async () => {
    const { start, callback } = await pendingCallback();
    expect(start.authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
    // A code from this flow spliced into another flow's state: the verifier does not match.
    const other = await pendingCallback();
    const spliced = new URL(other.callback);
    spliced.searchParams.set("code", callback.searchParams.get("code")!);
    const response = await other.open(spliced);
    expect(errorOf(response)).not.toBeNull();
    expect(sessionSet(response)).toBe(false);
  });

  for (const field of ["callbackURL", "errorCallbackURL", "newUserCallbackURL"]) {
    it(`sign-in/social with ${field} on a foreign origin is refused`, async () => {
      const response = await postJson(
        "/api/auth/sign-in/social",
        { provider: "oidc", callbackURL: "/account", [field]: `${EVIL}/steal` },
        {},
        workerEnv,
      );
      expect(response.status).toBe(403);
      expect(JSON.stringify(await response.json())).not.toContain("evil.example/steal");
    });
  }

  it("a provider sign-in never redirects to a foreign origin, even with one in the callback's query", async () => {
    const { response } = await signInWithProvider(workerEnv, uniqueEmail("oauth-redirect"));
    expect(new URL(response.headers.get("location")!, ORIGIN).origin).toBe(ORIGIN);
    const { callback, open } = await pendingCallback();
    callback.searchParams.set("callbackURL", `${EVIL}/steal`);
    const injected = await open(callback);
    expect(new URL(injected.headers.get("location")!, ORIGIN).origin).toBe(ORIGIN);
  });

  it("a provider sign-in of a 2FA user stops at the second factor", async () => {
    const user = await userWithTwoFactor(workerEnv);
    await withSql((sql) => sql.query(`update "user" set email_verified = true where id = $1`, [user.user.id]));
    const { response, location } = await signInWithProvider(workerEnv, user.email);
    // The provider is linked (both emails verified), but no session yet:
    // back to the callbackURL, which asks for the code.
    expect(response.status).toBe(302);
    expect(new URL(location, ORIGIN).href).toBe(`${ORIGIN}/account?twoFactorRedirect=true`);
    expect(sessionSet(response)).toBe(false);
    expect(response.headers.getSetCookie().join("\n")).toMatch(/two_factor=[^;]/);
    const jar = user.jar.take(response);
    const finished = await post(jar, "/api/auth/two-factor/verify-totp", { code: user.totp.generate({ timestamp: Date.now() + 30_000 }) }, workerEnv);
    expect(finished.status).toBe(200);
  });

  it("guessing at the callback is rate limited per client", async () => {
    // The limiter counts in windows of one wall-clock minute: start well inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const client = randomClientAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await call(`/api/auth/callback/oidc?code=guess${i}&state=guess${i}`, { headers: { "cf-connecting-ip": client } }, workerEnv);
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 302)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
