// Email verification end to end: sign-up mails a link, unverified sign-in is
// refused (and re-sends at most once per interval), the link verifies and
// signs in once, and used, expired or forged links are refused.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  call,
  cookiesFrom,
  envWith,
  lastMailTo,
  linkIn,
  mailsTo,
  openLink,
  ORIGIN,
  postJson,
  uniqueEmail,
  withSql,
} from "./helpers";

const PASSWORD = "correct horse battery staple";
const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true" });

async function signUpUnverified(workerEnv: Env = verifying, body: Record<string, unknown> = {}) {
  const email = uniqueEmail("verify");
  const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Vera", ...body }, {}, workerEnv);
  expect(response.status).toBe(200);
  const json = (await response.json()) as { token: string | null; user: { id: string; email: string } };
  return { email, response, json, userId: json.user.id };
}

const signIn = (email: string, workerEnv: Env = verifying) => postJson("/api/auth/sign-in/email", { email, password: PASSWORD }, {}, workerEnv);

const isVerified = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select email_verified from "user" where id = $1`, [userId])).rows[0]?.email_verified as boolean);

afterEach(() => {
  vi.useRealTimers();
});

describe("sign-up with email verification required", () => {
  it("creates the user unverified, sets no session, and mails a verification link to AUTH_BASE_URL", async () => {
    const { email, response, json, userId } = await signUpUnverified(verifying, { callbackURL: `${ORIGIN}/welcome` });
    expect(json.token).toBeNull();
    expect(response.headers.getSetCookie().filter((c) => c.startsWith("better-auth.session_token="))).toEqual([]);
    expect(await isVerified(userId)).toBe(false);

    const mails = await mailsTo(email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.Subject).toBe("Verify your email address");
    expect(mail.From.Address).toBe("no-reply@edge-auth.test");
    const link = new URL(linkIn(mail, "/verify-email"));
    expect(link.origin).toBe(ORIGIN);
    expect(link.pathname).toBe("/api/auth/verify-email");
    expect(link.searchParams.get("callbackURL")).toBe(`${ORIGIN}/welcome`);
    // The HTML version carries the same link, escaped.
    expect(mail.HTML).toContain(link.href.replace(/&/g, "&#38;"));
    expect(mail.HTML).toContain('<html lang="en">');
  });

  it("refuses a callbackURL outside the trusted origins before sending anything", async () => {
    const email = uniqueEmail("verify-evil");
    const response = await postJson(
      "/api/auth/sign-up/email",
      { email, password: PASSWORD, name: "Eve", callbackURL: "https://evil.example/steal" },
      {},
      verifying,
    );
    expect(response.status).toBe(403);
    expect(await mailsTo(email)).toEqual([]);
  });

  it("answers a sign-up for a taken address exactly like a new one, and mails nobody", async () => {
    const taken = await signUpUnverified();
    const again = await postJson("/api/auth/sign-up/email", { email: taken.email, password: "another password 123", name: "Vera" }, {}, verifying);
    expect(again.status).toBe(taken.response.status);
    const body = (await again.json()) as { token: null; user: Record<string, unknown> };
    expect(body.token).toBeNull();
    expect(Object.keys(body.user).sort()).toEqual(Object.keys(taken.json.user).sort());
    expect(await mailsTo(taken.email)).toHaveLength(1);
  });
});

describe("sign-in before verification", () => {
  it("is refused with EMAIL_NOT_VERIFIED and re-sends the link at most once per interval", async () => {
    const { email, userId } = await signUpUnverified();
    expect(await mailsTo(email)).toHaveLength(1);

    const refused = await signIn(email);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: "EMAIL_NOT_VERIFIED", message: "Email not verified" });
    expect(cookiesFrom(refused)).not.toMatch(/session_token=[^;]/);
    // Within a minute of the sign-up mail: nothing new.
    expect(await mailsTo(email)).toHaveLength(1);

    // Let the interval pass (the throttle row is the user's; move its expiry back).
    await withSql((sql) =>
      sql.query(`update verification set expires_at = now() - interval '1 second' where value = $1 and id like 'mail-throttle:%'`, [userId]),
    );
    expect((await signIn(email)).status).toBe(403);
    expect(await mailsTo(email)).toHaveLength(2);
    expect((await signIn(email)).status).toBe(403);
    expect(await mailsTo(email)).toHaveLength(2);

    // The wrong password gets the usual answer and sends nothing.
    const wrong = await postJson("/api/auth/sign-in/email", { email, password: "wrong password 000" }, {}, verifying);
    expect(wrong.status).toBe(401);
    expect(await mailsTo(email)).toHaveLength(2);
  });

  it("is allowed when REQUIRE_EMAIL_VERIFICATION=false", async () => {
    const relaxed = envWith({ REQUIRE_EMAIL_VERIFICATION: "false" });
    const { email, json } = await signUpUnverified(relaxed);
    expect(json.token).toEqual(expect.any(String));
    const response = await signIn(email, relaxed);
    expect(response.status).toBe(200);
    // The address can still be proven: the sign-up mail went out anyway.
    expect(await mailsTo(email)).toHaveLength(1);
  });
});

describe("the verification link", () => {
  it("verifies the address, signs the user in and redirects to the callbackURL", async () => {
    const { email, userId } = await signUpUnverified(verifying, { callbackURL: "/welcome" });
    const link = linkIn(await lastMailTo(email), "/verify-email");

    const opened = await openLink(link, {}, verifying);
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe("/welcome");
    expect(await isVerified(userId)).toBe(true);
    const cookie = cookiesFrom(opened);
    expect(cookie).toMatch(/better-auth\.session_token=[^;]/);
    const me = await call("/api/me", { headers: { cookie } }, verifying);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: userId, email, emailVerified: true });

    expect((await signIn(email)).status).toBe(200);
  });

  it("works once: a used link is refused with TOKEN_ALREADY_USED and signs nobody in", async () => {
    const { email } = await signUpUnverified();
    const link = new URL(linkIn(await lastMailTo(email), "/verify-email"));
    expect((await openLink(link.href, {}, verifying)).status).toBe(302);

    const reusedWithCallback = await openLink(link.href, {}, verifying);
    expect(reusedWithCallback.status).toBe(302);
    // The mail's default callbackURL is the pages' landing (src/auth/links.ts).
    expect(reusedWithCallback.headers.get("location")).toBe("/verified?error=TOKEN_ALREADY_USED");
    expect(cookiesFrom(reusedWithCallback)).not.toMatch(/session_token=[^;]/);

    link.searchParams.delete("callbackURL");
    const reused = await openLink(link.href, {}, verifying);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ code: "TOKEN_ALREADY_USED", message: expect.stringContaining("already been used") });
  });

  it("does not sign in when AUTO_SIGN_IN_AFTER_VERIFICATION=false", async () => {
    const noAutoSignIn = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", AUTO_SIGN_IN_AFTER_VERIFICATION: "false" });
    const { email, userId } = await signUpUnverified(noAutoSignIn);
    const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, noAutoSignIn);
    expect(opened.status).toBe(302);
    expect(cookiesFrom(opened)).not.toMatch(/session_token=[^;]/);
    expect(await isVerified(userId)).toBe(true);
  });

  it("is refused once expired, with TOKEN_EXPIRED", async () => {
    const { email, userId } = await signUpUnverified();
    const link = new URL(linkIn(await lastMailTo(email), "/verify-email"));
    link.searchParams.delete("callbackURL");
    // The link is a JWT with its expiry inside: move the clock past it.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61 * 60 * 1000 });
    const opened = await openLink(link.href, {}, verifying);
    vi.useRealTimers();
    expect(opened.status).toBe(401);
    expect(await opened.json()).toMatchObject({ code: "TOKEN_EXPIRED" });
    expect(await isVerified(userId)).toBe(false);
  });

  it("is refused when forged or altered, with INVALID_TOKEN", async () => {
    const { email, userId } = await signUpUnverified();
    const link = new URL(linkIn(await lastMailTo(email), "/verify-email"));
    link.searchParams.delete("callbackURL");
    const token = link.searchParams.get("token")!;
    const [header, , signature] = token.split(".");
    const forgedPayload = btoa(JSON.stringify({ email, userId, exp: Math.floor(Date.now() / 1000) + 3600 })).replace(/=+$/, "");
    link.searchParams.set("token", `${header}.${forgedPayload}.${signature}`);
    const opened = await openLink(link.href, {}, verifying);
    expect(opened.status).toBe(401);
    expect(await opened.json()).toMatchObject({ code: "INVALID_TOKEN" });
    expect(await isVerified(userId)).toBe(false);
  });

  it("is stored nowhere: no verification row holds the token or any part of it", async () => {
    const { email } = await signUpUnverified();
    const token = new URL(linkIn(await lastMailTo(email), "/verify-email")).searchParams.get("token")!;
    const rows = await withSql(async (sql) => (await sql.query(`select * from verification`)).rows);
    const dump = JSON.stringify(rows);
    for (const part of [token, ...token.split(".")]) expect(dump).not.toContain(part);
  });

  it("can be asked for again through send-verification-email, within the same limit", async () => {
    const { email, userId } = await signUpUnverified();
    const again = await postJson("/api/auth/send-verification-email", { email }, {}, verifying);
    expect(again.status).toBe(200);
    expect(await mailsTo(email)).toHaveLength(1);
    await withSql((sql) =>
      sql.query(`update verification set expires_at = now() - interval '1 second' where value = $1 and id like 'mail-throttle:%'`, [userId]),
    );
    expect((await postJson("/api/auth/send-verification-email", { email }, {}, verifying)).status).toBe(200);
    expect(await mailsTo(email)).toHaveLength(2);
  });
});
