// Sign-in with an OpenID Connect provider, end to end through the Worker and
// a real provider on 127.0.0.1 (oidc-provider: discovery, PKCE, the code
// flow, userinfo): new users, linking only through verified emails at both
// ends, tokens encrypted at rest, and nothing exposed with no provider set.
import { env } from "cloudflare:workers";
import { symmetricDecrypt } from "better-auth/crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, cookiesFrom, ORIGIN, postJson, signUp, uniqueEmail, withSql } from "./helpers";
import { oidcEnv, signInWithProvider, startSocial, throughProvider } from "./provider-helpers";

const workerEnv = oidcEnv();

interface Me {
  id: string;
  email: string;
  tier: string;
  emailVerified: boolean;
}

/** GET /api/me as the session `cookie` carries. */
const me = async (cookie: string): Promise<Me> => {
  const response = await call("/api/me", { headers: { cookie } }, workerEnv);
  if (response.status !== 200) throw new Error(`/api/me: ${response.status}`);
  return (await response.json()) as Me;
};

const accountsOf = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select * from account where user_id = $1 order by created_at`, [userId])).rows);

const userByEmail = (email: string) =>
  withSql(async (sql) => (await sql.query(`select * from "user" where email = $1`, [email.toLowerCase()])).rows[0]);

/** A local password account whose address is verified. */
async function verifiedLocalUser() {
  const local = await signUp();
  await withSql((sql) => sql.query(`update "user" set email_verified = true where id = $1`, [local.user.id]));
  return local;
}

describe("sign-in with an OpenID Connect provider", () => {
  it("runs the code flow with PKCE and state: a new user at tier free, verified, signed in", async () => {
    const email = uniqueEmail("oidc-new");
    const { start, callback, response, location, cookie } = await signInWithProvider(workerEnv, email);
    const auth = start.authorizationUrl;
    expect(auth.origin).toBe(new URL(workerEnv.OIDC_ISSUER!).origin);
    expect(auth.searchParams.get("response_type")).toBe("code");
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(auth.searchParams.get("state")).toBeTruthy();
    // The redirect URI comes from AUTH_BASE_URL.
    expect(auth.searchParams.get("redirect_uri")).toBe(`${ORIGIN}/api/auth/callback/oidc`);
    expect(callback.searchParams.get("state")).toBe(auth.searchParams.get("state"));
    expect(callback.searchParams.get("code")).toBeTruthy();

    expect(response.status).toBe(302);
    expect(location).toBe("/account");
    expect(await me(cookie)).toMatchObject({ email, tier: "free", emailVerified: true });
  });

  it("signs the same provider account in again without a second user", async () => {
    const email = uniqueEmail("oidc-again");
    const first = await signInWithProvider(workerEnv, email);
    const second = await signInWithProvider(workerEnv, email);
    expect(second.location).toBe("/account");
    const a = await me(first.cookie);
    expect((await me(second.cookie)).id).toBe(a.id);
    expect(await accountsOf(a.id)).toHaveLength(1);
  });

  it("keeps the provider's tokens encrypted in the account table", async () => {
    const email = uniqueEmail("oidc-tokens");
    const { cookie } = await signInWithProvider(workerEnv, email);
    const [row] = await accountsOf((await me(cookie)).id);
    expect(row.provider_id).toBe("oidc");
    expect(row.account_id).toBe(email);
    for (const column of ["access_token", "id_token"]) {
      const value = String(row[column]);
      expect(value.length).toBeGreaterThan(20);
      // better-auth's cipher text is hex; a JWT or an opaque provider token is not.
      expect(value).toMatch(/^[0-9a-f]+$/);
      expect(value).not.toMatch(/^eyJ/);
    }
  });

  it("links a provider account to a verified local account when the provider says the email is verified", async () => {
    const local = await verifiedLocalUser();
    const { location, cookie } = await signInWithProvider(workerEnv, local.email);
    expect(location).toBe("/account");
    expect((await me(cookie)).id).toBe(local.user.id);
    expect((await accountsOf(local.user.id)).map((a) => a.provider_id).sort()).toEqual(["credential", "oidc"]);
  });

  it("does not link a provider email marked unverified to an existing verified account", async () => {
    const local = await verifiedLocalUser();
    const { response, location, cookie } = await signInWithProvider(workerEnv, `unverified:${local.email}`);
    expect(response.status).toBe(302);
    expect(new URL(location, ORIGIN).searchParams.get("error")).toBe("account_not_linked");
    expect(cookie).not.toMatch(/session_token=[^;]/);
    expect((await accountsOf(local.user.id)).map((a) => a.provider_id)).toEqual(["credential"]);
  });

  it("never links to or takes over an unverified local account, even when the provider vouches", async () => {
    // A pending registration: whoever signed up first proved nothing.
    const pending = await signUp(uniqueEmail("oidc-pending"));
    const { location, cookie } = await signInWithProvider(workerEnv, pending.email);
    expect(new URL(location, ORIGIN).searchParams.get("error")).toBe("account_not_linked");
    expect(cookie).not.toMatch(/session_token=[^;]/);
    expect((await accountsOf(pending.user.id)).map((a) => a.provider_id)).toEqual(["credential"]);
    const row = await userByEmail(pending.email);
    expect(row.id).toBe(pending.user.id);
    expect(row.email_verified).toBe(false);
  });

  it("creates a new user from an unverified provider email without verifying it", async () => {
    const email = uniqueEmail("oidc-unverified-new");
    const { location, cookie } = await signInWithProvider(workerEnv, `unverified:${email}`);
    // The suite runs with REQUIRE_EMAIL_VERIFICATION=false: signed in, unverified.
    expect(location).toBe("/account");
    expect(await me(cookie)).toMatchObject({ email, emailVerified: false, tier: "free" });
  });

  it("with verification required, an unverified provider email gets no session and a verification mail", async () => {
    const strict = oidcEnv({ REQUIRE_EMAIL_VERIFICATION: "true" });
    const email = uniqueEmail("oidc-strict");
    const { location, cookie } = await signInWithProvider(strict, `unverified:${email}`);
    expect(new URL(location, ORIGIN).searchParams.get("error")).toBe("email_not_verified");
    expect(cookie).not.toMatch(/session_token=[^;]/);
  });

  it("refuses a tampered state", async () => {
    const start = await startSocial(workerEnv, uniqueEmail("oidc-state"));
    const callback = await throughProvider(start.authorizationUrl.href);
    callback.searchParams.set("state", `${callback.searchParams.get("state")}x`);
    const response = await call(`${callback.pathname}${callback.search}`, { headers: { cookie: start.cookie } }, workerEnv);
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("location")!, ORIGIN).searchParams.get("error")).toMatch(/state/);
    expect(response.headers.getSetCookie().join("\n")).not.toMatch(/session_token=[^;]/);
  });
});

describe("provider tokens in logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("are never logged, on a sign-in or a refused link; what is stored decrypts to them", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const email = uniqueEmail("oidc-logs");
    const { cookie } = await signInWithProvider(workerEnv, email);
    const local = await verifiedLocalUser();
    await signInWithProvider(workerEnv, `unverified:${local.email}`);
    const [row] = await accountsOf((await me(cookie)).id);
    const accessToken = await symmetricDecrypt({ key: env.APP_SECRET, data: row.access_token });
    const idToken = await symmetricDecrypt({ key: env.APP_SECRET, data: row.id_token });
    expect(idToken.split(".")).toHaveLength(3);
    expect(accessToken.length).toBeGreaterThan(20);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(accessToken) || line.includes(idToken) || line.includes(idToken.split(".")[1]!))).toEqual([]);
  });
});

describe("with no provider configured", () => {
  it("exposes no provider endpoints", async () => {
    expect((await postJson("/api/auth/sign-in/social", { provider: "oidc", callbackURL: "/account" })).status).toBe(404);
    expect((await call("/api/auth/callback/oidc?code=x&state=y")).status).toBe(404);
    expect((await call("/api/auth/callback/github?code=x&state=y")).status).toBe(404);
    expect((await postJson("/api/auth/link-social", { provider: "github" })).status).toBe(404);
  });

  it("leaves them out of the OpenAPI document", async () => {
    const doc = (await (await call("/api/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => /social|callback\/\{id\}/.test(path))).toEqual([]);
  });

  it("offers them once a provider is set", async () => {
    const answer = await postJson("/api/auth/sign-in/social", { provider: "oidc", callbackURL: "/account" }, {}, workerEnv);
    expect(answer.status).toBe(200);
  });
});

describe("the sign-in page with a provider", () => {
  const postForm = (path: string, fields: Record<string, string>, workerEnv?: Env) =>
    call(
      path,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams(fields) },
      workerEnv,
    );

  it("shows a 'Sign in with <name>' form only when a provider is configured, and lets its form lead there", async () => {
    const withProvider = await call("/sign-in", {}, workerEnv);
    const html = await withProvider.text();
    expect(html).toMatch(/<form method="post" action="\/sign-in\/social"><input type="hidden" name="provider" value="oidc"\/>/);
    expect(html).toContain("Sign in with Test IdP");
    const csp = withProvider.headers.get("content-security-policy")!;
    expect(csp).toContain(`form-action 'self' ${new URL(workerEnv.OIDC_ISSUER).origin};`);
    expect(csp).not.toContain("unsafe-inline");

    const without = await call("/sign-in");
    expect(await without.text()).not.toContain("/sign-in/social");
    expect(without.headers.get("content-security-policy")).toContain("form-action 'self';");
  });

  it("signs in without JavaScript: the form's 303 to the provider, back to the callback, on to /account", async () => {
    const email = uniqueEmail("oidc-page");
    const posted = await postForm("/sign-in/social", { provider: "oidc" }, workerEnv);
    expect(posted.status).toBe(303);
    const authorization = new URL(posted.headers.get("location")!);
    expect(authorization.origin).toBe(new URL(workerEnv.OIDC_ISSUER).origin);
    // The page has no email field to hint with; the test provider takes the hint from the URL.
    authorization.searchParams.set("login_hint", email);
    const callback = await throughProvider(authorization.href);
    const landed = await call(`${callback.pathname}${callback.search}`, { headers: { cookie: cookiesFrom(posted) } }, workerEnv);
    expect(landed.status).toBe(302);
    expect(landed.headers.get("location")).toBe("/account");
    const account = await call("/account", { headers: { cookie: cookiesFrom(landed) } }, workerEnv);
    expect(account.status).toBe(200);
    expect(await account.text()).toContain(email);
  });

  it("shows why a provider sign-in failed", async () => {
    const local = await verifiedLocalUser();
    const posted = await postForm("/sign-in/social", { provider: "oidc" }, workerEnv);
    const authorization = new URL(posted.headers.get("location")!);
    authorization.searchParams.set("login_hint", `unverified:${local.email}`);
    const callback = await throughProvider(authorization.href);
    const landed = await call(`${callback.pathname}${callback.search}`, { headers: { cookie: cookiesFrom(posted) } }, workerEnv);
    const location = landed.headers.get("location")!;
    expect(location).toBe("/sign-in?error=account_not_linked");
    const shown = await call(location, {}, workerEnv);
    expect(shown.status).toBe(400);
    expect(await shown.text()).toContain("An account with this email address already exists.");
  });

  it("refuses a provider that is not configured", async () => {
    expect((await postForm("/sign-in/social", { provider: "github" }, workerEnv)).status).toBe(400);
    expect((await postForm("/sign-in/social", { provider: "oidc" })).status).toBe(400);
  });
});
