// 2FA bypass: a user who has passed the password but not the second factor is
// signed in nowhere; the code cannot be guessed per account, replayed, or
// skipped with a made-up cookie.
import { describe, expect, it } from "vitest";
import { call, postJson, randomClientAddress, withSql } from "../helpers";
import { codeAt, Jar, passwordStep, post, userWithTwoFactor } from "../two-factor-helpers";
import { signedSessionCookie } from "./helpers";

const sessionsOf = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select count(*)::int as n from session where user_id = $1`, [userId])).rows[0].n as number);

/** A sign-in's first step, then `n` wrong codes for it, each from its own client. */
async function wrongCodes(jar: Jar, n: number, totp: Parameters<typeof codeAt>[0]) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 40 + i) })).status);
  return statuses;
}

describe("2FA bypass", () => {
  it("half signed in (password done, second factor not): no session row, no session or cache cookie, refused everywhere", async () => {
    const { email, password, user } = await userWithTwoFactor();
    const before = await sessionsOf(user.id);
    const { response, jar } = await passwordStep(email, password);
    expect(await response.json()).toMatchObject({ twoFactorRedirect: true });
    expect(await sessionsOf(user.id)).toBe(before);
    for (const line of response.headers.getSetCookie()) {
      // Neither the session token nor a cookie-cache copy of the session.
      if (/session_token=|session_data=/.test(line)) expect(line).toMatch(/^[^=]+=;|Max-Age=0/i);
    }
    const cookie = jar.header;
    expect(cookie).toContain("two_factor=");
    for (const path of ["/api/me", "/api/content/free"]) {
      expect((await call(path, { headers: { cookie } })).status).toBe(401);
    }
    expect(await (await call("/api/auth/get-session", { headers: { cookie } })).json()).toBeNull();
    expect((await call("/api/auth/list-sessions", { headers: { cookie } })).status).toBe(401);
    // Nor can it turn 2FA off or change the password.
    expect((await post(new Jar(cookie), "/api/auth/two-factor/disable", { password })).status).toBe(401);
  });

  it("the two_factor cookie's value as a session cookie is no session", async () => {
    const { email, password } = await userWithTwoFactor();
    const { jar } = await passwordStep(email, password);
    const value = /two_factor=([^;]+)/.exec(jar.header)![1]!;
    const identifier = decodeURIComponent(value).split(".")[0]!;
    const forged = await signedSessionCookie(identifier);
    expect((await call("/api/me", { headers: { cookie: forged } })).status).toBe(401);
  });

  it("a made-up two_factor cookie verifies nothing", async () => {
    const { totp } = await userWithTwoFactor();
    const response = await postJson("/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1) }, { headers: { cookie: "better-auth.two_factor=2fa-made-up.c2lnbmF0dXJl" } });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie().join()).not.toMatch(/session_token=[^;]/);
  });

  it("five wrong codes end the sign-in attempt: the right code is refused after them", async () => {
    const { email, password, totp } = await userWithTwoFactor();
    const { jar } = await passwordStep(email, password);
    expect(await wrongCodes(jar, 5, totp)).toEqual(Array(5).fill(401));
    const right = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1) });
    expect(right.status).toBe(400);
    expect(jar.has("session_token")).toBe(false);
  });

  it("wrong codes are counted per account across sign-in attempts and clients: after 10 the right code is refused", async () => {
    const { email, password, totp, backupCodes } = await userWithTwoFactor();
    for (let attempt = 0; attempt < 2; attempt++) {
      const { jar } = await passwordStep(email, password);
      expect(await wrongCodes(jar, 5, totp)).toEqual(Array(5).fill(401));
    }
    const { jar } = await passwordStep(email, password);
    const right = await post(jar, "/api/auth/two-factor/verify-totp", { code: codeAt(totp, 1) });
    expect(right.status).toBe(429);
    expect(await right.json()).toMatchObject({ code: "ACCOUNT_TEMPORARILY_LOCKED" });
    expect(jar.has("session_token")).toBe(false);
    // Backup codes are behind the same lock.
    const backup = await post(jar, "/api/auth/two-factor/verify-backup-code", { code: backupCodes[0] });
    expect(backup.status).toBe(429);
  });

  it("one code, used at once from five sign-ins: exactly one gets a session", async () => {
    const { email, password, totp } = await userWithTwoFactor();
    const jars = await Promise.all(Array.from({ length: 5 }, async () => (await passwordStep(email, password)).jar));
    const code = codeAt(totp, 1);
    const statuses = await Promise.all(jars.map((jar) => post(jar, "/api/auth/two-factor/verify-totp", { code }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
  });

  it("the credential rate limit covers the second-factor endpoints", async () => {
    const { email, password } = await userWithTwoFactor();
    const { jar } = await passwordStep(email, password);
    const client = randomClientAddress();
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await postJson("/api/auth/two-factor/verify-backup-code", { code: `wrong-${i}` }, { headers: { cookie: jar.header, "cf-connecting-ip": client } });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((s) => s !== 429)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
