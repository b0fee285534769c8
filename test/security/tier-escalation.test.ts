// Tier escalation: the anonymous upgrade does what the README says, and no
// body sets a role, a tier or a verified address.
import { describe, expect, it } from "vitest";
import { call, cookiesFrom, envWith, lastMailTo, linkIn, openLink, postJson, uniqueEmail, withSql } from "../helpers";

const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
const PASSWORD = "correct horse battery staple";

async function anonymous(workerEnv?: Env) {
  const response = await call("/api/auth/sign-in/anonymous", { method: "POST" }, workerEnv);
  const body = (await response.json()) as { user: { id: string } };
  return { id: body.user.id, cookie: cookiesFrom(response) };
}

const exists = (id: string) => withSql(async (sql) => ((await sql.query(`select 1 from "user" where id = $1`, [id])).rowCount ?? 0) > 0);

describe("tier escalation", () => {
  // better-auth gives a field the body may not set its default when it has
  // one (tier, twoFactorEnabled, isAnonymous), and refuses it otherwise (role).
  it.each([
    [{ tier: "member" }, 200],
    [{ twoFactorEnabled: true }, 200],
    [{ isAnonymous: true }, 200],
    [{ role: "admin" }, 400],
  ] as const)("a sign-up by emailed code cannot set %j (answers %i); the account made is a plain free one", async (field, status) => {
    const unthrottled = envWith({ EMAIL_RESEND_INTERVAL: "0" });
    const email = uniqueEmail("code-escalate");
    const codeFor = async () => {
      await postJson("/api/auth/email-otp/send-verification-otp", { email, type: "sign-in" }, {}, unthrottled);
      return /^\d{6}$/m.exec((await lastMailTo(email)).Text)![0];
    };
    const response = await postJson("/api/auth/sign-in/email-otp", { email, otp: await codeFor(), name: "Eve", ...field }, {}, unthrottled);
    expect(response.status).toBe(status);
    if (status === 400) {
      expect(await response.json()).toMatchObject({ code: "FIELD_NOT_ALLOWED" });
      expect(await withSql(async (sql) => (await sql.query(`select 1 from "user" where email = $1`, [email])).rowCount)).toBe(0);
      expect((await postJson("/api/auth/sign-in/email-otp", { email, otp: await codeFor(), name: "Eve" }, {}, unthrottled)).status).toBe(200);
    }
    const [row] = await withSql(async (sql) => (await sql.query(`select tier, role, is_anonymous, two_factor_enabled from "user" where email = $1`, [email])).rows);
    expect(row).toEqual({ tier: "free", role: "user", is_anonymous: false, two_factor_enabled: false });
  });

  it("a sign-up by magic link takes only email and name from its body", async () => {
    const email = uniqueEmail("link-escalate");
    const asked = await postJson("/api/auth/sign-in/magic-link", { email, name: "Eve", callbackURL: "/", tier: "member", role: "admin" });
    expect(asked.status).toBe(200);
    const opened = await openLink(linkIn(await lastMailTo(email), "/magic-link/verify"));
    expect(opened.status).toBe(302);
    const [row] = await withSql(async (sql) => (await sql.query(`select tier, role, name from "user" where email = $1`, [email])).rows);
    expect(row).toEqual({ tier: "free", role: "user", name: "Eve" });
  });

  it("with verification required, sign-up keeps the anonymous user until the link is opened in its browser, which upgrades it (finding 9)", async () => {
    const anon = await anonymous(verifying);
    const email = uniqueEmail("upgrade");
    const signedUp = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Anna" }, { headers: { cookie: anon.cookie } }, verifying);
    expect(signedUp.status).toBe(200);
    // Sign-up alone: the anonymous user and its session are still there.
    expect(await exists(anon.id)).toBe(true);
    expect((await call("/api/me", { headers: { cookie: anon.cookie } }, verifying)).status).toBe(200);
    // The link, opened where the anonymous session is: signed in as the new user, the anonymous one is gone.
    const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), { headers: { cookie: anon.cookie } }, verifying);
    expect(opened.status).toBe(302);
    expect(await exists(anon.id)).toBe(false);
    const me = (await (await call("/api/me", { headers: { cookie: cookiesFrom(opened) } }, verifying)).json()) as { email: string; tier: string };
    expect(me).toMatchObject({ email, tier: "free" });
  });

  it("without verification, sign-up from an anonymous session upgrades at once", async () => {
    const anon = await anonymous();
    const response = await postJson("/api/auth/sign-up/email", { email: uniqueEmail("upgrade-now"), password: PASSWORD, name: "Anna" }, { headers: { cookie: anon.cookie } });
    expect(response.status).toBe(200);
    expect(await exists(anon.id)).toBe(false);
  });

  it("a sign-up body cannot make itself an admin, a member or verified", async () => {
    const email = uniqueEmail("escalate");
    // role is refused outright; tier and emailVerified are ignored.
    const refused = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Mallory", role: "admin" });
    expect(refused.status).toBe(400);
    const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Mallory", tier: "member", emailVerified: true });
    expect(response.status).toBe(200);
    const row = (await withSql((sql) => sql.query(`select role, tier, email_verified from "user" where email = $1`, [email]))).rows[0];
    expect(row).toEqual({ role: "user", tier: "free", email_verified: false });
  });

  it("an anonymous user cannot reach a free-tier route", async () => {
    const anon = await anonymous();
    expect((await call("/api/content/free", { headers: { cookie: anon.cookie } })).status).toBe(403);
  });
});
