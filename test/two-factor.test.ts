// TOTP two-factor end to end through the Worker, with codes computed by the
// `otpauth` package as an authenticator app would: enable with the password,
// finish with a code, sign in in two steps, backup codes, trusted devices,
// disable with the password.
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { call, envWith, lastMailTo, linkIn, openLink, postJson, signUp, withSql } from "./helpers";
import { codeAt, Jar, passwordStep, post, userWithTwoFactor } from "./two-factor-helpers";

const me = (jar: Jar) => call("/api/me", { headers: { cookie: jar.header } });

describe("two-factor: enabling", () => {
  it("needs the password, answers an otpauth:// URI and ten backup codes, and is on only after a code verifies", async () => {
    const { email, password, cookie, user } = await signUp();
    const jar = new Jar(cookie);
    const noPassword = await post(jar, "/api/auth/two-factor/enable", {});
    expect(noPassword.status).toBe(400);
    const wrongPassword = await post(jar, "/api/auth/two-factor/enable", { password: "not the password" });
    expect(wrongPassword.status).toBe(400);
    expect(await wrongPassword.json()).toMatchObject({ code: "INVALID_PASSWORD" });

    const enabled = await post(jar, "/api/auth/two-factor/enable", { password });
    expect(enabled.status).toBe(200);
    const { totpURI, backupCodes } = (await enabled.json()) as { totpURI: string; backupCodes: string[] };
    expect(totpURI).toMatch(/^otpauth:\/\/totp\//);
    const totp = OTPAuth.URI.parse(totpURI) as OTPAuth.TOTP;
    expect(totp.label).toBe(email);
    expect(totp.issuer).toBe("localhost");
    expect(totp.digits).toBe(6);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);

    // Not on yet: a password sign-in still gives a session at once.
    expect((await passwordStep(email, password)).response.headers.getSetCookie().join()).toMatch(/session_token=[^;]/);
    const wrong = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 20) });
    expect(wrong.status).toBe(401);
    const finished = await post(jar, "/api/auth/two-factor/verify-totp", { code: totp.generate() });
    expect(finished.status).toBe(200);
    const row = await withSql(async (sql) => (await sql.query(`select two_factor_enabled from "user" where id = $1`, [user.id])).rows[0]);
    expect(row.two_factor_enabled).toBe(true);
    // The session that finished enabling still works.
    expect((await me(jar)).status).toBe(200);
  });

  it("stores neither the TOTP secret nor a backup code readable", async () => {
    const { user, totp, backupCodes } = await userWithTwoFactor();
    const [row] = await withSql(async (sql) => (await sql.query(`select * from two_factor where user_id = $1`, [user.id])).rows);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(totp.secret.base32);
    expect(stored).not.toContain(totp.secret.hex);
    for (const code of backupCodes) expect(stored).not.toContain(code);
  });
});

describe("two-factor: signing in", () => {
  it("a password sign-in answers the second-factor step with no session; a TOTP code finishes it", async () => {
    const { email, password, totp, user } = await userWithTwoFactor();
    const { response, jar } = await passwordStep(email, password);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ twoFactorRedirect: true, twoFactorMethods: ["totp"] });
    expect(jar.has("session_token")).toBe(false);
    expect(jar.has("two_factor")).toBe(true);
    expect((await me(jar)).status).toBe(401);

    const finished = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1) });
    expect(finished.status).toBe(200);
    expect(jar.has("session_token")).toBe(true);
    const who = await me(jar);
    expect(who.status).toBe(200);
    expect(((await who.json()) as { id: string }).id).toBe(user.id);
    // Tier rules do not care how the user signed in.
    expect((await call("/api/content/free", { headers: { cookie: jar.header } })).status).toBe(200);
  });

  it("a wrong code is refused", async () => {
    const { email, password, totp } = await userWithTwoFactor();
    const { jar } = await passwordStep(email, password);
    const wrong = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 40) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: "INVALID_CODE" });
    expect(jar.has("session_token")).toBe(false);
  });

  it("a code that was used is refused the second time, in another sign-in too", async () => {
    const { email, password, totp } = await userWithTwoFactor();
    const code = codeAt(totp, 1);
    const first = await passwordStep(email, password);
    expect((await post(first.jar, "/api/auth/two-factor/verify-totp", { code })).status).toBe(200);
    const second = await passwordStep(email, password);
    const replayed = await post(second.jar, "/api/auth/two-factor/verify-totp", { code });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: "INVALID_CODE" });
    expect(second.jar.has("session_token")).toBe(false);
    // A code for another step still works.
    expect((await post(second.jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, -1) })).status).toBe(200);
  });

  it("a backup code works once", async () => {
    const { email, password, backupCodes } = await userWithTwoFactor();
    const first = await passwordStep(email, password);
    const used = await post(first.jar, "/api/auth/two-factor/verify-backup-code", { code: backupCodes[0] });
    expect(used.status).toBe(200);
    expect((await me(first.jar)).status).toBe(200);
    const second = await passwordStep(email, password);
    const again = await post(second.jar, "/api/auth/two-factor/verify-backup-code", { code: backupCodes[0] });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: "INVALID_BACKUP_CODE" });
    expect((await me(second.jar)).status).toBe(401);
    expect((await post(second.jar, "/api/auth/two-factor/verify-backup-code", { code: backupCodes[1] })).status).toBe(200);
  });

  it("trust this device: the cookie lasts TWO_FACTOR_TRUST_DEVICE_MAX_AGE and skips the second factor on that device only", async () => {
    const shortTrust = envWith({ TWO_FACTOR_TRUST_DEVICE_MAX_AGE: "2h" });
    const { email, password, totp } = await userWithTwoFactor(shortTrust);
    const { jar } = await passwordStep(email, password, new Jar(), shortTrust);
    const finished = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1), trustDevice: true }, shortTrust);
    expect(finished.status).toBe(200);
    const trustCookie = finished.headers.getSetCookie().find((c) => c.includes("trust_device="));
    expect(trustCookie).toMatch(/Max-Age=7200/i);

    // Same device (its trust cookie, no session): straight in.
    const device = new Jar(jar.header.split("; ").filter((c) => c.includes("trust_device")).join("; "));
    const trusted = await passwordStep(email, password, device, shortTrust);
    expect(trusted.response.headers.getSetCookie().join()).toMatch(/session_token=[^;]/);
    expect((await me(device)).status).toBe(200);
    // Another device: the second factor again.
    const other = await passwordStep(email, password, new Jar(), shortTrust);
    expect(await other.response.json()).toMatchObject({ twoFactorRedirect: true });
  });

  it("a sign-in by emailed code or magic link also stops at the second factor", async () => {
    const { email, totp } = await userWithTwoFactor();
    await postJson("/api/auth/email-otp/send-verification-otp", { email, type: "sign-in" });
    const code = /^\d{6}$/m.exec((await lastMailTo(email)).Text)![0];
    const jar = new Jar();
    const byCode = await post(jar, "/api/auth/sign-in/email-otp", { email, otp: code });
    expect(byCode.status).toBe(200);
    expect(await byCode.json()).toEqual({ twoFactorRedirect: true, twoFactorMethods: ["totp"] });
    expect(jar.has("session_token")).toBe(false);
    expect((await me(jar)).status).toBe(401);
    expect((await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1) })).status).toBe(200);
    expect((await me(jar)).status).toBe(200);

    await postJson("/api/auth/sign-in/magic-link", { email, callbackURL: "/welcome" });
    const opened = await openLink(linkIn(await lastMailTo(email), "/magic-link/verify"));
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe("http://localhost:8787/welcome?twoFactorRedirect=true");
    const linkJar = new Jar().take(opened);
    expect(linkJar.has("session_token")).toBe(false);
    expect(linkJar.has("two_factor")).toBe(true);
    expect((await me(linkJar)).status).toBe(401);
  });
});

describe("two-factor: verification links", () => {
  it("a verification link that signs in (AUTO_SIGN_IN_AFTER_VERIFICATION) also stops at the second factor", async () => {
    // Without required verification, 2FA can be on before the address is verified.
    const { email } = await userWithTwoFactor();
    const link = linkIn(await lastMailTo(email), "/verify-email");
    const opened = await openLink(link);
    const jar = new Jar().take(opened);
    expect(jar.has("session_token")).toBe(false);
    expect((await me(jar)).status).toBe(401);
    expect(jar.has("two_factor")).toBe(true);
  });
});

describe("two-factor: disabling", () => {
  it("needs the password; afterwards a password sign-in gives a session at once", async () => {
    const { email, password, jar, user } = await userWithTwoFactor();
    expect((await post(jar, "/api/auth/two-factor/disable", {})).status).toBe(400);
    const wrong = await post(jar, "/api/auth/two-factor/disable", { password: "not the password" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: "INVALID_PASSWORD" });
    const disabled = await post(jar, "/api/auth/two-factor/disable", { password });
    expect(disabled.status).toBe(200);
    const rows = await withSql(async (sql) => (await sql.query(`select 1 from two_factor where user_id = $1`, [user.id])).rowCount);
    expect(rows).toBe(0);
    const { response } = await passwordStep(email, password);
    expect(response.headers.getSetCookie().join()).toMatch(/session_token=[^;]/);
  });
});
