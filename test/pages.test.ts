// The account pages through the Worker's fetch: server-rendered forms that
// post to the pages, which call the public API on the browser's behalf.
// (The same journey in a real browser: test/e2e/journey.e2e.ts.)
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { browserCookie, call, cookiesFrom, envWith, lastMailTo, linkIn, openLink, ORIGIN, postJson, signUp, uniqueEmail, withoutSessionCache, withSql } from "./helpers";
import { codeAt } from "./two-factor-helpers";

const PASSWORD = "correct horse battery staple";
const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true" });

function postForm(path: string, fields: Record<string, string>, init: { cookie?: string; origin?: string } = {}, workerEnv?: Env) {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded", origin: init.origin ?? ORIGIN });
  if (init.cookie) headers.set("cookie", init.cookie);
  return call(path, { method: "POST", headers, body: new URLSearchParams(fields) }, workerEnv);
}

const PAGES = ["/", "/sign-in", "/sign-in/email", "/two-factor", "/sign-up", "/forgot-password", "/reset-password", "/check-mail?for=reset", "/verified", "/verified?error=TOKEN_EXPIRED", "/goodbye"];

describe("account pages", () => {
  it.each(PAGES)("%s is HTML with a strict CSP, no-store, and a label for every field", async (path) => {
    const response = await call(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    // No inline script or style anywhere (the CSP would block them anyway).
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    for (const [, type, id] of html.matchAll(/<input[^>]*type="([a-z]+)"[^>]*id="([^"]+)"/g)) {
      if (type !== "hidden") expect(html).toContain(`for="${id}"`);
    }
  });

  it("weighs under 40 KB gzip per page, with its stylesheet and script", async () => {
    const gzipped = async (response: Response) =>
      (await new Response(response.body!.pipeThrough(new CompressionStream("gzip"))).arrayBuffer()).byteLength;
    const assets = (await gzipped(await call("/assets/pages.css"))) + (await gzipped(await call("/assets/pages.js")));
    const { cookie } = await signUp();
    const weights: Record<string, number> = {};
    for (const path of [...PAGES, "/account"]) {
      weights[path] = (await gzipped(await call(path, { headers: path === "/account" ? { cookie } : {} }))) + assets;
    }
    console.log(`page weights (HTML + CSS + JS, gzip bytes): ${JSON.stringify(weights)}`);
    for (const [path, bytes] of Object.entries(weights)) expect(bytes, path).toBeLessThan(40 * 1024);
  });

  it("serves its stylesheet and script from the Worker, small", async () => {
    for (const path of ["/assets/pages.css", "/assets/pages.js"]) {
      const response = await call(path);
      expect(response.status).toBe(200);
      expect((await response.text()).length).toBeLessThan(8_000);
    }
  });

  it("signs up, lands on the account page with the tier, and signs out", async () => {
    const email = uniqueEmail("pages");
    const signedUp = await postForm("/sign-up", { name: "Page User", email, password: PASSWORD });
    expect(signedUp.status).toBe(303);
    expect(signedUp.headers.get("location")).toBe("/account");
    const cookie = cookiesFrom(signedUp);
    expect(cookie).toContain("session_token=");

    const account = await call("/account", { headers: { cookie } });
    expect(account.status).toBe(200);
    expect(account.headers.get("cache-control")).toBe("no-store");
    const html = await account.text();
    expect(html).toContain(`<span data-testid="email">${email}</span>`);
    expect(html).toContain('<dd data-testid="tier">free</dd>');
    expect((await call("/", { headers: { cookie } })).headers.get("location")).toBe("/account");

    const out = await postForm("/sign-out", {}, { cookie });
    expect(out.headers.get("location")).toBe("/sign-in?done=signed-out");
    // The browser drops the cookies sign-out cleared (the session cache cookie with them) ...
    const after = browserCookie(cookie, out);
    expect((await call("/api/auth/get-session", { headers: { cookie: after } }).then((r) => r.json()))).toBeNull();
    expect((await call("/account", { headers: { cookie: after } })).headers.get("location")).toBe("/sign-in");
    // ... and the session is gone from the database: the old token alone no longer works.
    expect((await call("/api/auth/get-session", { headers: { cookie: withoutSessionCache(cookie) } }).then((r) => r.json()))).toBeNull();
  });

  it("shows a session revoked from another browser as signed out at once, despite its session cache cookie", async () => {
    const email = uniqueEmail("pages-revoked");
    const signedUp = await postForm("/sign-up", { name: "Page User", email, password: PASSWORD });
    const cookie = cookiesFrom(signedUp);
    expect(cookie).toContain("session_data=");
    expect((await call("/account", { headers: { cookie } })).status).toBe(200);
    const other = await postJson("/api/auth/sign-in/email", { email, password: PASSWORD });
    expect(other.status).toBe(200);
    const revoked = await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie: cookiesFrom(other) } });
    expect(revoked.status).toBe(200);
    // The cache cookie is still valid for SESSION_CACHE_MAX_AGE; the account page asks the database.
    expect((await call("/account", { headers: { cookie } })).headers.get("location")).toBe("/sign-in");
  });

  it("shows a wrong password as an announced error, keeping the email", async () => {
    const { email } = await signUp();
    const response = await postForm("/sign-in", { email, password: "not the password" });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toMatch(/role="alert"[^>]*>.*Wrong email address or password/);
    expect(html).toContain(`value="${email}"`);
  });

  it("ties a missing field's error to the field", async () => {
    const response = await postForm("/sign-in", { email: "", password: "" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/id="sign-in-email"[^>]*aria-invalid="true"[^>]*aria-describedby="sign-in-email-error"/);
    expect(html).toMatch(/id="sign-in-email-error"[^>]*>Enter your email address</);
  });

  it("leaves unknown /api paths to the API's JSON 404", async () => {
    const response = await postForm("/api/nope", {}, { origin: "https://evil.example" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
    expect(response.headers.get("content-security-policy")).toBeNull();
  });

  it("refuses a form posted from another site", async () => {
    const { email, password } = await signUp();
    const response = await postForm("/sign-in", { email, password }, { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("with verification on: sign-up says check your mail, the link lands on /verified signed in", async () => {
    const email = uniqueEmail("pages-verify");
    const signedUp = await postForm("/sign-up", { name: "Vera", email, password: PASSWORD }, {}, verifying);
    expect(signedUp.headers.get("location")).toBe("/check-mail?for=sign-up");
    const link = new URL(linkIn(await lastMailTo(email), "/verify-email"));
    expect(link.searchParams.get("callbackURL")).toBe("/verified");
    const opened = await openLink(link.href, {}, verifying);
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe("/verified");
    const cookie = cookiesFrom(opened);
    const account = await (await call("/account", { headers: { cookie } }, verifying)).text();
    expect(account).toContain('<span class="badge ok">verified</span>');
    // The same link again: already used.
    expect((await openLink(link.href, {}, verifying)).headers.get("location")).toBe("/verified?error=TOKEN_ALREADY_USED");
  });

  it("tries without an account, then upgrades to a real one", async () => {
    const tried = await postForm("/try", {});
    expect(tried.headers.get("location")).toBe("/account");
    const anonymous = cookiesFrom(tried);
    const page = await (await call("/account", { headers: { cookie: anonymous } })).text();
    expect(page).toContain('<dd data-testid="tier">anonymous</dd>');
    expect(page).toContain('action="/sign-up"');

    const email = uniqueEmail("upgrade");
    const upgraded = await postForm("/sign-up", { name: "Up", email, password: PASSWORD }, { cookie: anonymous });
    expect(upgraded.headers.get("location")).toBe("/account");
    const me = await (await call("/api/me", { headers: { cookie: cookiesFrom(upgraded) } })).json();
    expect(me).toMatchObject({ email, tier: "free", isAnonymous: false });
  });

  it("changes the password from the account page", async () => {
    const { email, password, cookie } = await signUp();
    const wrong = await postForm("/account/password", { currentPassword: "nope nope nope", newPassword: "another passphrase 9" }, { cookie });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toMatch(/id="password-currentPassword"[^>]*aria-invalid="true"/);
    const changed = await postForm("/account/password", { currentPassword: password, newPassword: "another passphrase 9" }, { cookie });
    expect(changed.headers.get("location")).toBe("/account?done=password-changed");
    expect((await postJson("/api/auth/sign-in/email", { email, password: "another passphrase 9" })).status).toBe(200);
  });

  it("lists passkeys with names and dates, and deletes one without JavaScript; only your own", async () => {
    const { cookie, user } = await signUp();
    const other = await signUp();
    const add = (userId: string, name: string) =>
      withSql(async (sql) => {
        const id = crypto.randomUUID();
        await sql.query(
          `insert into passkey (id, name, public_key, user_id, credential_id, counter, device_type, backed_up, transports, created_at)
           values ($1, $2, 'AAAA', $3, $4, 0, 'singleDevice', false, 'internal', '2026-03-04T05:06:07Z')`,
          [id, name, userId, crypto.randomUUID()],
        );
        return id;
      });
    const mine = await add(user.id, "Work laptop");
    const theirs = await add(other.user.id, "Their phone");
    const page = await (await call("/account", { headers: { cookie } })).text();
    expect(page).toContain('<h2 id="passkeys-heading">Passkeys</h2>');
    expect(page.match(/data-testid="passkey"/g)).toHaveLength(1);
    expect(page).toContain("Work laptop");
    expect(page).toContain("Added Wed, 04 Mar 2026 05:06:07 GMT");
    expect(page).not.toContain("Their phone");
    // The add form needs WebAuthn, so it is hidden until the script finds it.
    expect(page).toMatch(/<form[^>]*data-passkey-register[^>]*hidden/);

    const refused = await postForm("/account/passkeys/delete", { id: theirs }, { cookie });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain("That passkey is not on your account (any more).");
    expect((await postForm("/account/passkeys/delete", { id: mine })).headers.get("location")).toBe("/sign-in");
    const deleted = await postForm("/account/passkeys/delete", { id: mine }, { cookie });
    expect(deleted.headers.get("location")).toBe("/account?done=passkey-deleted");
    const left = await withSql(async (sql) => (await sql.query(`select user_id from passkey where id = any($1)`, [[mine, theirs]])).rows);
    expect(left).toEqual([{ user_id: other.user.id }]);
    const after = await (await call("/account?done=passkey-deleted", { headers: { cookie } })).text();
    expect(after).toContain("That passkey is deleted.");
    expect(after).toContain("No passkeys yet.");
  });

  it("signs in with an emailed code: ask, a wrong code tied to its field, the right one", async () => {
    const { email } = await signUp();
    const asked = await postForm("/sign-in/email", { email, how: "code" });
    expect(asked.status).toBe(200);
    const form = await asked.text();
    expect(form).toContain('action="/sign-in/email/code"');
    expect(form).toContain(`<input type="hidden" name="email" value="${email}"/>`);
    const mail = await lastMailTo(email);
    const code = /^\d{6}$/m.exec(mail.Text)![0];
    const wrong = await postForm("/sign-in/email/code", { email, otp: code === "000000" ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toMatch(/id="email-code-otp"[^>]*aria-invalid="true"/);
    const right = await postForm("/sign-in/email/code", { email, otp: code });
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/account");
    expect(cookiesFrom(right)).toMatch(/session_token=[^;]/);
  });

  it("mails a sign-in link that lands on the account page", async () => {
    const { email } = await signUp();
    const asked = await postForm("/sign-in/email", { email, how: "link" });
    expect(asked.headers.get("location")).toBe("/check-mail?for=magic-link");
    expect(await (await call("/check-mail?for=magic-link")).text()).toContain("We have sent a sign-in link.");
    const opened = await openLink(linkIn(await lastMailTo(email), "/api/auth/magic-link/verify"));
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe(`${ORIGIN}/account`);
    expect(cookiesFrom(opened)).toMatch(/session_token=[^;]/);
  });

  it("sets up two-factor from the account page, asks for the code at sign-in, takes a backup code, and turns it off", async () => {
    const { email, password, cookie, user } = await signUp();
    // Verified, so a sign-in link below proves the mailbox without replacing the password.
    await withSql((sql) => sql.query(`update "user" set email_verified = true where id = $1`, [user.id]));
    const wrongPassword = await postForm("/account/two-factor/enable", { password: "not my password" }, { cookie });
    expect(wrongPassword.status).toBe(400);
    expect(await wrongPassword.text()).toMatch(/id="two-factor-password"[^>]*aria-invalid="true"/);

    const setup = await postForm("/account/two-factor/enable", { password }, { cookie });
    expect(setup.status).toBe(200);
    const html = await setup.text();
    const uri = /data-testid="totp-uri"[^>]*>([^<]+)</.exec(html)![1]!.replaceAll("&amp;", "&");
    const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    const backupCodes = [...html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(backupCodes).toHaveLength(10);
    const confirmed = await postForm("/account/two-factor/confirm", { code: totp.generate() }, { cookie });
    expect(confirmed.headers.get("location")).toBe("/account?done=two-factor-on");
    // Turning 2FA on replaces the session: the browser keeps the new cookie.
    const on = await (await call("/account", { headers: { cookie: withoutSessionCache(browserCookie(cookie, confirmed)) } })).text();
    expect(on).toContain('data-testid="two-factor-state">on<');

    // A password sign-in now stops at the second step, with no session.
    const first = await postForm("/sign-in", { email, password });
    expect(first.headers.get("location")).toBe("/two-factor");
    const pending = cookiesFrom(first);
    expect(pending).toMatch(/two_factor=/);
    expect(pending).not.toMatch(/session_token=[^;]/);
    expect((await call("/two-factor")).status).toBe(200);
    const wrong = await postForm("/two-factor", { code: "000000" === totp.generate() ? "111111" : "000000" }, { cookie: pending });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That code is not right.");
    const done = await postForm("/two-factor", { code: codeAt(totp, 1), trustDevice: "yes" }, { cookie: pending });
    expect(done.headers.get("location")).toBe("/account");
    expect(cookiesFrom(done)).toMatch(/session_token=[^;]/);
    expect(cookiesFrom(done)).toMatch(/trust_device=/);

    const again = cookiesFrom(await postForm("/sign-in", { email, password }));
    const backup = await postForm("/two-factor/backup", { code: backupCodes[0]! }, { cookie: again });
    expect(backup.headers.get("location")).toBe("/account");
    const signedIn = withoutSessionCache(cookiesFrom(backup));

    // A sign-in link stops at the same step: the account page sends it on to /two-factor.
    await postForm("/sign-in/email", { email, how: "link" });
    const linked = await openLink(linkIn(await lastMailTo(email), "/api/auth/magic-link/verify"));
    expect(linked.headers.get("location")).toBe(`${ORIGIN}/account?twoFactorRedirect=true`);
    expect(cookiesFrom(linked)).not.toMatch(/session_token=[^;]/);
    const landed = await call("/account?twoFactorRedirect=true", { headers: { cookie: cookiesFrom(linked) } });
    expect(landed.headers.get("location")).toBe("/two-factor");

    const noPassword = await postForm("/account/two-factor/disable", { password: "wrong wrong wrong" }, { cookie: signedIn });
    expect(noPassword.status).toBe(400);
    const off = await postForm("/account/two-factor/disable", { password }, { cookie: signedIn });
    expect(off.headers.get("location")).toBe("/account?done=two-factor-off");
    expect((await postForm("/sign-in", { email, password })).headers.get("location")).toBe("/account");
  });
});
