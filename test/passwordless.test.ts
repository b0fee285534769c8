// Sign-in by emailed one-time code and by magic link, end to end through the
// Worker and the mail catcher: hashed, single use, expiring, at most five
// wrong guesses per code, the same answer for known and unknown addresses.
import { describe, expect, it } from "vitest";
import { call, cookiesFrom, envWith, lastMailTo, linkIn, mailsTo, openLink, ORIGIN, postJson, randomClientAddress, signUp, uniqueEmail, withSql } from "./helpers";

const noSignUp = envWith({ PASSWORDLESS_SIGN_UP: "false" });

async function sha256base64url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const requestCode = (email: string, workerEnv?: Env) =>
  postJson("/api/auth/email-otp/send-verification-otp", { email, type: "sign-in" }, {}, workerEnv);

const signInWithCode = (email: string, otp: string, workerEnv?: Env) =>
  postJson("/api/auth/sign-in/email-otp", { email, otp }, { headers: { "cf-connecting-ip": randomClientAddress() } }, workerEnv);

const codeMails = async (email: string) => (await mailsTo(email)).filter((m) => m.Subject === "Your sign-in code");

/** The 6-digit code in the newest sign-in-code mail to `email`. */
async function codeFor(email: string): Promise<string> {
  const mail = await lastMailTo(email);
  expect(mail.Subject).toBe("Your sign-in code");
  const code = /^\d{6}$/m.exec(mail.Text)?.[0];
  if (!code) throw new Error("no code in the mail");
  expect(mail.HTML).toContain(code);
  return code;
}

/** A code that is not `code`. */
const wrong = (code: string, i = 1) => String((Number(code) + i) % 1_000_000).padStart(6, "0");

const me = async (cookie: string) => call("/api/me", { headers: { cookie } });

/** The code's row: better-auth's identifier `sign-in-otp-<email>`, stored hashed (storeIdentifier). */
const codeRow = async (email: string) => {
  const identifier = await sha256base64url(`sign-in-otp-${email.toLowerCase()}`);
  return withSql(async (sql) => (await sql.query(`select * from verification where identifier = $1`, [identifier])).rows);
};

describe("sign-in by emailed code", () => {
  it("mails a 6-digit code that signs an existing user in", async () => {
    const { email, user } = await signUp();
    const asked = await requestCode(email);
    expect(asked.status).toBe(200);
    expect(await asked.json()).toEqual({ success: true });
    const signedIn = await signInWithCode(email, await codeFor(email));
    expect(signedIn.status).toBe(200);
    expect(((await signedIn.json()) as { user: { id: string } }).user.id).toBe(user.id);
    const cookie = cookiesFrom(signedIn);
    const who = await me(cookie);
    expect(who.status).toBe(200);
  });

  it("signs up an unknown address at tier free, verified; requireTier treats it like any free user", async () => {
    const email = uniqueEmail("code-signup");
    await requestCode(email);
    const signedIn = await signInWithCode(email, await codeFor(email));
    expect(signedIn.status).toBe(200);
    const { user } = (await signedIn.json()) as { user: { emailVerified: boolean; tier: string } };
    expect(user).toMatchObject({ emailVerified: true, tier: "free" });
    const cookie = cookiesFrom(signedIn);
    expect((await call("/api/content/free", { headers: { cookie } })).status).toBe(200);
    const member = await call("/api/content/member", { headers: { cookie } });
    expect(member.status).toBe(403);
    expect(await member.json()).toMatchObject({ error: { code: "tier_required", current: "free" } });
  });

  it("answers a known and an unknown address alike, and with sign-up off mails nothing to the unknown one", async () => {
    const { email } = await signUp();
    const unknownEmail = uniqueEmail("nobody");
    const known = await requestCode(email, noSignUp);
    const unknown = await requestCode(unknownEmail, noSignUp);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.text()).toBe(await known.text());
    expect(unknown.headers.getSetCookie()).toEqual(known.headers.getSetCookie());
    expect(await codeMails(email)).toHaveLength(1);
    expect(await codeMails(unknownEmail)).toEqual([]);
    // With sign-up off, no code makes an account.
    const refused = await signInWithCode(unknownEmail, "000000", noSignUp);
    expect(refused.status).toBe(400);
    expect(await withSql(async (sql) => (await sql.query(`select 1 from "user" where email = $1`, [unknownEmail])).rowCount)).toBe(0);
  });

  it("a code works once", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    expect((await signInWithCode(email, code)).status).toBe(200);
    const again = await signInWithCode(email, code);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: "INVALID_OTP" });
    expect(cookiesFrom(again)).not.toMatch(/session_token=[^;]/);
  });

  it("an expired code is refused", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    const [row] = await codeRow(email);
    // Default lifetime: ten minutes.
    const lifetime = new Date(row.expires_at).getTime() - new Date(row.created_at).getTime();
    expect(Math.abs(lifetime - 10 * 60 * 1000)).toBeLessThan(5_000);
    await withSql((sql) => sql.query(`update verification set expires_at = now() - interval '1 second' where id = $1`, [row.id]));
    const late = await signInWithCode(email, code);
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ code: "OTP_EXPIRED" });
  });

  it("five wrong guesses void the code: the sixth attempt is refused even with the right code", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    for (let i = 1; i <= 5; i++) {
      const guess = await signInWithCode(email, wrong(code, i));
      expect(guess.status).toBe(400);
      expect(await guess.json()).toMatchObject({ code: "INVALID_OTP" });
    }
    const right = await signInWithCode(email, code);
    expect(right.status).toBe(403);
    expect(await right.json()).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
    expect(cookiesFrom(right)).not.toMatch(/session_token=[^;]/);
    // And it stays void.
    expect((await signInWithCode(email, code)).status).toBe(400);
  });

  it("the fifth guess may still be right", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    for (let i = 1; i <= 4; i++) expect((await signInWithCode(email, wrong(code, i))).status).toBe(400);
    expect((await signInWithCode(email, code)).status).toBe(200);
  });

  it("stores the code only hashed: no verification row holds it", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    const rows = await withSql(async (sql) => (await sql.query(`select * from verification`)).rows);
    const mine = await codeRow(email);
    expect(mine).toHaveLength(1);
    // The value is the code's SHA-256 and the count of wrong guesses.
    expect(mine[0].value).toBe(`${await sha256base64url(code)}:0`);
    expect(rows.filter((row) => row.value.split(":")[0] === code || row.identifier.includes(email))).toEqual([]);
  });

  it("mails one code per address per interval, and asking again does not void the code already mailed", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    const again = await requestCode(email);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ success: true });
    expect(await codeMails(email)).toHaveLength(1);
    expect((await signInWithCode(email, code)).status).toBe(200);
  });

  it("offers only sign-in codes: the plugin's reset-password and verify-email by code are not exposed", async () => {
    const { email } = await signUp();
    const other = await postJson("/api/auth/email-otp/send-verification-otp", { email, type: "forget-password" });
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ code: "INVALID_OTP_TYPE" });
    expect(await codeMails(email)).toEqual([]);
    for (const path of ["/email-otp/reset-password", "/email-otp/request-password-reset", "/email-otp/verify-email", "/email-otp/change-email"]) {
      expect((await postJson(`/api/auth${path}`, { email, otp: "000000", password: "x".repeat(12) })).status).toBe(404);
    }
  });
});

const requestLink = (email: string, body: Record<string, unknown> = {}, workerEnv?: Env) =>
  postJson("/api/auth/sign-in/magic-link", { email, callbackURL: "/welcome", ...body }, {}, workerEnv);

const magicToken = (link: string) => new URL(link).searchParams.get("token")!;

describe("sign-in by magic link", () => {
  it("mails a link that signs the user in and redirects to the callbackURL", async () => {
    const { email, user } = await signUp();
    const asked = await requestLink(email);
    expect(asked.status).toBe(200);
    expect(await asked.json()).toEqual({ status: true });
    const mail = await lastMailTo(email);
    expect(mail.Subject).toBe("Your sign-in link");
    const link = linkIn(mail, "/api/auth/magic-link/verify");
    expect(new URL(link).origin).toBe(ORIGIN);
    const opened = await openLink(link);
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe(`${ORIGIN}/welcome`);
    const who = await me(cookiesFrom(opened));
    expect(who.status).toBe(200);
    expect(((await who.json()) as { id: string }).id).toBe(user.id);
  });

  it("a link works once", async () => {
    const { email } = await signUp();
    await requestLink(email);
    const link = linkIn(await lastMailTo(email), "/magic-link/verify");
    expect((await openLink(link)).status).toBe(302);
    const again = await openLink(link);
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe(`${ORIGIN}/welcome?error=INVALID_TOKEN`);
    expect(cookiesFrom(again)).not.toMatch(/session_token=[^;]/);
  });

  it("an expired link is refused; the default lifetime is ten minutes", async () => {
    const { email } = await signUp();
    await requestLink(email);
    const link = linkIn(await lastMailTo(email), "/magic-link/verify");
    const identifier = await sha256base64url(`magic-link:${await sha256base64url(magicToken(link))}`);
    const [row] = await withSql(async (sql) => (await sql.query(`select * from verification where identifier = $1`, [identifier])).rows);
    const lifetime = new Date(row.expires_at).getTime() - new Date(row.created_at).getTime();
    expect(Math.abs(lifetime - 10 * 60 * 1000)).toBeLessThan(5_000);
    await withSql((sql) => sql.query(`update verification set expires_at = now() - interval '1 second' where id = $1`, [row.id]));
    const late = await openLink(link);
    expect(late.status).toBe(302);
    expect(late.headers.get("location")).toContain("error=");
    expect(cookiesFrom(late)).not.toMatch(/session_token=[^;]/);
  });

  it("stores the token only hashed", async () => {
    const { email } = await signUp();
    await requestLink(email);
    const token = magicToken(linkIn(await lastMailTo(email), "/magic-link/verify"));
    const rows = await withSql(async (sql) => (await sql.query(`select * from verification`)).rows);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("answers a known and an unknown address alike; a new user starts at tier free", async () => {
    const { email } = await signUp();
    const unknownEmail = uniqueEmail("link-signup");
    const known = await requestLink(email);
    const unknown = await requestLink(unknownEmail);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.text()).toBe(await known.text());
    const opened = await openLink(linkIn(await lastMailTo(unknownEmail), "/magic-link/verify"));
    expect(opened.status).toBe(302);
    const who = (await (await me(cookiesFrom(opened))).json()) as { email: string; tier: string; emailVerified: boolean };
    expect(who).toMatchObject({ email: unknownEmail, tier: "free", emailVerified: true });
  });

  it("with sign-up off, a link for an unknown address makes no account", async () => {
    const unknownEmail = uniqueEmail("link-nosignup");
    expect((await requestLink(unknownEmail, {}, noSignUp)).status).toBe(200);
    const opened = await openLink(linkIn(await lastMailTo(unknownEmail), "/magic-link/verify"), {}, noSignUp);
    expect(opened.headers.get("location")).toContain("error=new_user_signup_disabled");
    expect(await withSql(async (sql) => (await sql.query(`select 1 from "user" where email = $1`, [unknownEmail])).rowCount)).toBe(0);
  });

  it("mails one link per address per interval", async () => {
    const { email } = await signUp();
    await requestLink(email);
    const first = linkIn(await lastMailTo(email), "/magic-link/verify");
    expect((await requestLink(email)).status).toBe(200);
    expect((await mailsTo(email)).filter((m) => m.Subject === "Your sign-in link")).toHaveLength(1);
    expect((await openLink(first)).status).toBe(302);
  });

  it("refuses a callbackURL outside the trusted origins", async () => {
    const { email } = await signUp();
    const response = await requestLink(email, { callbackURL: "https://evil.example/" });
    expect(response.status).toBe(403);
  });
});
