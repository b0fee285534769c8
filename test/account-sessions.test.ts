// Sessions are the refresh sessions: list them, revoke one, the others, or
// all; a revoked or expired session stops working on the very next request;
// expiry and the sliding refresh follow SESSION_EXPIRES_IN / SESSION_UPDATE_AGE.
import { describe, expect, it } from "vitest";
import { call, cookiesFrom, withoutSessionCache, envWith, postJson, signUp, withSql } from "./helpers";

interface ListedSession {
  id: string;
  userId: string;
  ipAddress: string;
  userAgent: string;
  createdAt: string;
  expiresAt: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Signs in again from another "device". */
async function signInFrom(email: string, password: string, ip: string, userAgent: string, workerEnv?: Env) {
  const response = await postJson(
    "/api/auth/sign-in/email",
    { email, password },
    { headers: { "cf-connecting-ip": ip, "user-agent": userAgent } },
    workerEnv,
  );
  expect(response.status).toBe(200);
  // Without the cache cookie, so the test sees the database (the cache window: test/session-cache.test.ts).
  return withoutSessionCache(cookiesFrom(response));
}

async function listSessions(cookie: string): Promise<ListedSession[]> {
  const response = await call("/api/auth/list-sessions", { headers: { cookie } });
  expect(response.status).toBe(200);
  return (await response.json()) as ListedSession[];
}

const works = async (cookie: string) => (await call("/api/me", { headers: { cookie } })).status === 200;

describe("listing sessions", () => {
  it("shows each session with its address, user agent, creation and expiry", async () => {
    const { email, password, cookie } = await signUp();
    await signInFrom(email, password, "203.0.113.7", "Laptop/1.0");
    const sessions = await listSessions(cookie);
    expect(sessions).toHaveLength(2);
    const laptop = sessions.find((s) => s.userAgent === "Laptop/1.0")!;
    expect(laptop.ipAddress).toBe("203.0.113.7");
    const lifetime = new Date(laptop.expiresAt).getTime() - new Date(laptop.createdAt).getTime();
    expect(Math.abs(lifetime - 7 * DAY_MS)).toBeLessThan(60_000);
  });

  it("needs a fresh session (signed in within SESSION_FRESH_AGE)", async () => {
    const { cookie, user } = await signUp();
    await withSql((sql) => sql.query(`update session set created_at = now() - interval '2 days' where user_id = $1`, [user.id]));
    const response = await call("/api/auth/list-sessions", { headers: { cookie } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "SESSION_NOT_FRESH" });
  });
});

describe("revoking sessions", () => {
  it("revoke-session-by-id ends that one session on its next request", async () => {
    const { email, password, cookie } = await signUp();
    const phone = await signInFrom(email, password, "198.51.100.1", "Phone/2.0");
    const target = (await listSessions(cookie)).find((s) => s.userAgent === "Phone/2.0")!;

    const response = await postJson("/api/auth/revoke-session-by-id", { id: target.id }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: true });
    // Revoking another session leaves the caller's browser signed in: no cookie is cleared.
    expect(response.headers.getSetCookie().filter((c) => c.startsWith("better-auth.session_token="))).toEqual([]);
    expect(await works(phone)).toBe(false);
    expect(await (await call("/api/auth/get-session", { headers: { cookie: phone } })).json()).toBeNull();
    expect(await works(cookie)).toBe(true);
    expect(await listSessions(cookie)).toHaveLength(1);
  });

  it("revoke-session-by-id of the caller's own session also clears its cookie", async () => {
    const { cookie } = await signUp();
    const [own] = await listSessions(cookie);
    const response = await postJson("/api/auth/revoke-session-by-id", { id: own!.id }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().some((c) => c.startsWith("better-auth.session_token=;") || c.includes("Max-Age=0"))).toBe(true);
    expect(await works(cookie)).toBe(false);
  });

  it("better-auth's revoke-session still revokes by the raw token a client holds", async () => {
    const { email, password, cookie } = await signUp();
    const phone = await signInFrom(email, password, "198.51.100.6", "Phone/3.0");
    const current = (await (await call("/api/auth/get-session", { headers: { cookie: phone } })).json()) as { session: { token: string } };
    const token = current.session.token;
    const response = await postJson("/api/auth/revoke-session", { token }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await works(phone)).toBe(false);
    expect(await works(cookie)).toBe(true);
  });

  it("cannot revoke someone else's session", async () => {
    const mine = await signUp();
    const theirs = await signUp();
    const [target] = await listSessions(theirs.cookie);
    const response = await postJson("/api/auth/revoke-session-by-id", { id: target!.id }, { headers: { cookie: mine.cookie } });
    expect(response.status).toBe(200);
    expect(await works(theirs.cookie)).toBe(true);
  });

  it("revoke-other-sessions keeps only the caller's session", async () => {
    const { email, password, cookie } = await signUp();
    const a = await signInFrom(email, password, "198.51.100.2", "A/1");
    const b = await signInFrom(email, password, "198.51.100.3", "B/1");
    const response = await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await works(a)).toBe(false);
    expect(await works(b)).toBe(false);
    expect(await works(cookie)).toBe(true);
  });

  it("revoke-sessions signs out everywhere, the caller included", async () => {
    const { email, password, cookie, user } = await signUp();
    const other = await signInFrom(email, password, "198.51.100.4", "C/1");
    const response = await postJson("/api/auth/revoke-sessions", {}, { headers: { cookie } });
    expect(response.status).toBe(200);
    // The caller's cookie is cleared too.
    expect(response.headers.getSetCookie().some((c) => c.startsWith("better-auth.session_token=;") || c.includes("Max-Age=0"))).toBe(true);
    expect(await works(cookie)).toBe(false);
    expect(await works(other)).toBe(false);
    const left = await withSql((sql) => sql.query(`select count(*)::int as n from session where user_id = $1`, [user.id]));
    expect(left.rows[0].n).toBe(0);
  });
});

describe("session lifetime", () => {
  it("an expired session stops working", async () => {
    const { cookie, user } = await signUp();
    await withSql((sql) => sql.query(`update session set expires_at = now() - interval '1 second' where user_id = $1`, [user.id]));
    expect(await works(cookie)).toBe(false);
    expect(await (await call("/api/auth/get-session", { headers: { cookie } })).json()).toBeNull();
  });

  it("slides: a session used after SESSION_UPDATE_AGE is extended to a full SESSION_EXPIRES_IN", async () => {
    const { cookie, user } = await signUp();
    // As if it had been created 2 days ago (updateAge is 1 day): 5 days left.
    await withSql((sql) =>
      sql.query(`update session set expires_at = now() + interval '5 days', updated_at = now() - interval '2 days' where user_id = $1`, [user.id]),
    );
    const response = await call("/api/auth/get-session", { headers: { cookie } });
    expect(response.status).toBe(200);
    const expiresAt = await withSql(
      async (sql) => (await sql.query(`select expires_at from session where user_id = $1`, [user.id])).rows[0].expires_at as Date,
    );
    expect(Math.abs(new Date(expiresAt).getTime() - (Date.now() + 7 * DAY_MS))).toBeLessThan(60_000);
    // The refreshed expiry also goes out in the cookie.
    expect(response.headers.getSetCookie().some((c) => c.startsWith("better-auth.session_token="))).toBe(true);
  });

  it("does not touch a session used within SESSION_UPDATE_AGE", async () => {
    const { cookie, user } = await signUp();
    const before = await withSql(
      async (sql) => (await sql.query(`select expires_at from session where user_id = $1`, [user.id])).rows[0].expires_at as Date,
    );
    await call("/api/auth/get-session", { headers: { cookie } });
    const after = await withSql(
      async (sql) => (await sql.query(`select expires_at from session where user_id = $1`, [user.id])).rows[0].expires_at as Date,
    );
    expect(new Date(after).getTime()).toBe(new Date(before).getTime());
  });

  it("takes its lifetime from SESSION_EXPIRES_IN", async () => {
    const shortLived = envWith({ SESSION_EXPIRES_IN: "2h", SESSION_UPDATE_AGE: "30m" });
    const { email, password, user } = await signUp();
    await signInFrom(email, password, "198.51.100.5", "Short/1", shortLived);
    const rows = await withSql(
      async (sql) =>
        (await sql.query(`select created_at, expires_at from session where user_id = $1 and user_agent = 'Short/1'`, [user.id])).rows,
    );
    const lifetime = new Date(rows[0].expires_at).getTime() - new Date(rows[0].created_at).getTime();
    expect(Math.abs(lifetime - 2 * 60 * 60 * 1000)).toBeLessThan(60_000);
  });
});
