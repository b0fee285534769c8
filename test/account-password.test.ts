// Password reset and change, end to end through the Worker and the mail
// catcher: enumeration-safe request, single-use hashed token with an expiry,
// every session revoked by a reset, change-password revoking by default.
import { describe, expect, it } from "vitest";
import { mailThrottleId } from "../src/auth/throttle";
import { call, cookiesFrom, withoutSessionCache, envWith, lastMailTo, linkIn, mailsTo, openLink, ORIGIN, postJson, signUp, uniqueEmail, withSql } from "./helpers";

const NEW_PASSWORD = "a brand new passphrase 42";

/** What the reset link carries: `<redirectTo>#token=<token>` (src/auth/links.ts). */
function resetTokenOf(link: string): string {
  return new URLSearchParams(new URL(link).hash.slice(1)).get("token")!;
}

async function requestReset(email: string, redirectTo = `${ORIGIN}/reset`) {
  return postJson("/api/auth/request-password-reset", { email, redirectTo });
}

async function sha256base64url(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const sessionCount = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select count(*)::int as n from session where user_id = $1`, [userId])).rows[0].n as number);

const getSession = async (cookie: string) => (await call("/api/auth/get-session", { headers: { cookie } })).json();

describe("request-password-reset", () => {
  it("answers a known and an unknown address with the same status and body", async () => {
    const { email } = await signUp();
    const known = await requestReset(email);
    const unknown = await requestReset(uniqueEmail("nobody"));
    expect(unknown.status).toBe(known.status);
    expect(known.status).toBe(200);
    expect(await unknown.text()).toBe(await known.text());
    expect(known.headers.getSetCookie()).toEqual(unknown.headers.getSetCookie());
  });

  it("mails a link to the redirectTo with the token in the fragment", async () => {
    const { email } = await signUp();
    await requestReset(email);
    const mail = await lastMailTo(email);
    expect(mail.Subject).toBe("Reset your password");
    const link = new URL(linkIn(mail, "/reset"));
    expect(`${link.origin}${link.pathname}${link.search}`).toBe(`${ORIGIN}/reset`);
    expect(resetTokenOf(link.href)).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  it("refuses a redirectTo outside the trusted origins", async () => {
    const { email } = await signUp();
    const response = await requestReset(email, "https://evil.example/reset");
    expect(response.status).toBe(403);
    expect((await mailsTo(email)).filter((m) => m.Subject === "Reset your password")).toEqual([]);
  });

  it("stores the token only as its SHA-256 hash: the raw token is in no verification row", async () => {
    const { email, user } = await signUp();
    await requestReset(email);
    const token = resetTokenOf(linkIn(await lastMailTo(email), "/reset"));
    const rows = await withSql(async (sql) => (await sql.query(`select * from verification`)).rows);
    expect(JSON.stringify(rows)).not.toContain(token);
    // What is stored is the hash of better-auth's identifier, pointing at the user.
    const hashed = await sha256base64url(`reset-password:${token}`);
    const mine = rows.filter((row) => row.identifier === hashed);
    expect(mine).toHaveLength(1);
    expect(mine[0].value).toBe(user.id);
    // Default lifetime: one hour.
    const lifetime = new Date(mine[0].expires_at).getTime() - new Date(mine[0].created_at).getTime();
    expect(Math.abs(lifetime - 60 * 60 * 1000)).toBeLessThan(5_000);
  });

  it("mails one reset link per address per interval; the answer does not change", async () => {
    const { email } = await signUp();
    const first = await requestReset(email);
    const second = await requestReset(email);
    expect(await second.text()).toBe(await first.text());
    expect((await mailsTo(email)).filter((m) => m.Subject === "Reset your password")).toHaveLength(1);
  });

  it("mails nothing to an anonymous user's made-up address", async () => {
    const anonymous = await call("/api/auth/sign-in/anonymous", { method: "POST" });
    const { user } = (await anonymous.json()) as { user: { email: string } };
    expect(user.email).toMatch(/\.invalid$/);
    expect((await requestReset(user.email)).status).toBe(200);
    expect(await mailsTo(user.email)).toEqual([]);
  });

  it("holds the same limit for an address nobody has yet (same work either way)", async () => {
    const email = uniqueEmail("later");
    await requestReset(email);
    const slot = await mailThrottleId("reset-password", email);
    const rows = await withSql(async (sql) => (await sql.query(`select value from verification where id = $1`, [slot])).rows);
    expect(rows).toEqual([{ value: "" }]);
    // Whoever signs up with it within the interval gets no reset mail yet.
    await postJson("/api/auth/sign-up/email", { email, password: "correct horse battery staple", name: "Late" });
    expect((await requestReset(email)).status).toBe(200);
    expect((await mailsTo(email)).filter((m) => m.Subject === "Reset your password")).toEqual([]);
  });
});

describe("reset-password", () => {
  it("sets the new password and revokes every session of the user", async () => {
    const { email, password, user, cookie } = await signUp();
    const other = withoutSessionCache(cookiesFrom(await postJson("/api/auth/sign-in/email", { email, password })));
    expect(await sessionCount(user.id)).toBe(2);

    await requestReset(email);
    const token = resetTokenOf(linkIn(await lastMailTo(email), "/reset"));
    const reset = await postJson("/api/auth/reset-password", { token, newPassword: NEW_PASSWORD });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ status: true });

    expect(await sessionCount(user.id)).toBe(0);
    expect(await getSession(cookie)).toBeNull();
    expect(await getSession(other)).toBeNull();
    expect((await call("/api/me", { headers: { cookie } })).status).toBe(401);
    expect((await postJson("/api/auth/sign-in/email", { email, password })).status).toBe(401);
    expect((await postJson("/api/auth/sign-in/email", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("works once: the same token again is refused with INVALID_TOKEN", async () => {
    const { email } = await signUp();
    await requestReset(email);
    const link = linkIn(await lastMailTo(email), "/reset");
    const token = resetTokenOf(link);
    expect((await postJson("/api/auth/reset-password", { token, newPassword: NEW_PASSWORD })).status).toBe(200);

    const again = await postJson("/api/auth/reset-password", { token, newPassword: "yet another password 7" });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: "INVALID_TOKEN" });
    expect((await postJson("/api/auth/sign-in/email", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("is refused once the token has expired, and changes nothing", async () => {
    const { email, password, cookie } = await signUp();
    await requestReset(email);
    const link = linkIn(await lastMailTo(email), "/reset");
    const token = resetTokenOf(link);
    const hashed = await sha256base64url(`reset-password:${token}`);
    await withSql((sql) => sql.query(`update verification set expires_at = now() - interval '1 second' where identifier = $1`, [hashed]));

    const response = await postJson("/api/auth/reset-password", { token, newPassword: NEW_PASSWORD });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "INVALID_TOKEN" });
    expect(await getSession(cookie)).not.toBeNull();
    expect((await postJson("/api/auth/sign-in/email", { email, password })).status).toBe(200);
  });

  it("refuses a made-up token", async () => {
    const response = await postJson("/api/auth/reset-password", { token: "not-a-real-token-123456", newPassword: NEW_PASSWORD });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "INVALID_TOKEN" });
  });
});

describe("change-password", () => {
  async function twoSessions() {
    const signedUp = await signUp();
    // The other browser reads the database (the cache window: test/session-cache.test.ts).
    const other = withoutSessionCache(cookiesFrom(await postJson("/api/auth/sign-in/email", { email: signedUp.email, password: signedUp.password })));
    return { ...signedUp, other };
  }

  it("needs the current password", async () => {
    const { cookie } = await twoSessions();
    const response = await postJson(
      "/api/auth/change-password",
      { currentPassword: "not my password 1", newPassword: NEW_PASSWORD },
      { headers: { cookie } },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "INVALID_PASSWORD" });
  });

  it("revokes the other sessions by default and keeps the caller signed in with a new session", async () => {
    const { email, password, cookie, other, user } = await twoSessions();
    const response = await postJson("/api/auth/change-password", { currentPassword: password, newPassword: NEW_PASSWORD }, { headers: { cookie } });
    expect(response.status).toBe(200);
    const fresh = cookiesFrom(response);
    expect(fresh).toMatch(/better-auth\.session_token=[^;]/);

    expect(await getSession(other)).toBeNull();
    expect(await getSession(cookie)).toBeNull();
    expect(await getSession(fresh)).toMatchObject({ user: { id: user.id } });
    expect(await sessionCount(user.id)).toBe(1);
    expect((await postJson("/api/auth/sign-in/email", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("keeps the other sessions with revokeOtherSessions: false", async () => {
    const { password, cookie, other } = await twoSessions();
    const response = await postJson(
      "/api/auth/change-password",
      { currentPassword: password, newPassword: NEW_PASSWORD, revokeOtherSessions: false },
      { headers: { cookie } },
    );
    expect(response.status).toBe(200);
    expect(await getSession(other)).not.toBeNull();
    expect(await getSession(cookie)).not.toBeNull();
  });
});

describe("pending reset links", () => {
  // Throttle off, so one address can be sent two links in a row.
  const unthrottled = () => envWith({ EMAIL_RESEND_INTERVAL: "0" });

  async function twoResetLinks(email: string): Promise<[string, string]> {
    const workerEnv = unthrottled();
    await postJson("/api/auth/request-password-reset", { email, redirectTo: `${ORIGIN}/reset` }, {}, workerEnv);
    const first = linkIn(await lastMailTo(email), "/reset");
    await postJson("/api/auth/request-password-reset", { email, redirectTo: `${ORIGIN}/reset` }, {}, workerEnv);
    const second = linkIn(await lastMailTo(email), "/reset");
    expect(second).not.toBe(first);
    return [first, second];
  }

  const reset = (link: string, newPassword: string) =>
    postJson("/api/auth/reset-password", { token: resetTokenOf(link), newPassword });

  it("die with a successful reset: the other link no longer works", async () => {
    const { email } = await signUp();
    const [first, second] = await twoResetLinks(email);
    expect((await reset(first, NEW_PASSWORD)).status).toBe(200);
    const late = await reset(second, "someone else's passphrase 1");
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ code: "INVALID_TOKEN" });
    expect((await postJson("/api/auth/sign-in/email", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("die with a password change", async () => {
    const { email, password, cookie } = await signUp();
    const [link] = await twoResetLinks(email);
    const change = await postJson("/api/auth/change-password", { currentPassword: password, newPassword: NEW_PASSWORD }, { headers: { cookie } });
    expect(change.status).toBe(200);
    expect((await reset(link, "someone else's passphrase 1")).status).toBe(400);
  });

  it("mailed to the old address die when a new address is confirmed", async () => {
    const { email, cookie } = await signUp();
    const [link] = await twoResetLinks(email);
    const newEmail = uniqueEmail("moved");
    expect((await postJson("/api/auth/change-email", { newEmail, callbackURL: `${ORIGIN}/settings` }, { headers: { cookie } })).status).toBe(200);
    const confirm = await openLink(linkIn(await lastMailTo(newEmail), "/verify-email"), { headers: { cookie } });
    expect(confirm.status).toBe(302);
    expect((await reset(link, "old mailbox owner's passphrase")).status).toBe(400);
  });
});
