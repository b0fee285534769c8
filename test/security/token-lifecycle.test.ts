// Token lifecycle: what the database holds of a session token, and what a
// copy of it is worth.
import { describe, expect, it } from "vitest";
import migration from "../../migrations/0002_hash_session_tokens.sql?raw";
import { call, postJson, signUp, withSql } from "../helpers";
import { makeAdmin, sessionTokenOf, sha256Hex, signedSessionCookie, tokensOf, works } from "./helpers";

describe("token lifecycle", () => {
  it("a leaked session table holds no cookie token: each row is the SHA-256 hex of it (finding 3)", async () => {
    const { user, cookie } = await signUp();
    const raw = sessionTokenOf(cookie);
    const rows = await tokensOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token).toBe(await sha256Hex(raw));
    const dump = JSON.stringify(await withSql(async (sql) => (await sql.query(`select * from session`)).rows));
    expect(dump).not.toContain(raw);
  });

  it("a hash from the database, even signed with APP_SECRET, is not a working session cookie", async () => {
    const { user, cookie } = await signUp();
    expect(await works(cookie)).toBe(true);
    const [row] = await tokensOf(user.id);
    expect(await works(await signedSessionCookie(row!.token))).toBe(false);
    // While the raw token, signed the same way, is exactly the cookie.
    expect(await works(await signedSessionCookie(sessionTokenOf(cookie)))).toBe(true);
  });

  it("list-sessions hands no token to JavaScript: sessions come by id (finding 3)", async () => {
    const { cookie } = await signUp();
    const response = await call("/api/auth/list-sessions", { headers: { cookie } });
    expect(response.status).toBe(200);
    const sessions = (await response.json()) as Record<string, unknown>[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).not.toHaveProperty("token");
    expect(sessions[0]!.id).toEqual(expect.any(String));
  });

  it("the admin's list-user-sessions hands out no token either", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const target = await signUp();
    const response = await postJson("/api/auth/admin/list-user-sessions", { userId: target.user.id }, { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    const { sessions } = (await response.json()) as { sessions: Record<string, unknown>[] };
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).not.toHaveProperty("token");
    expect(JSON.stringify(sessions)).not.toContain(sessionTokenOf(target.cookie));
  });

  it("get-session gives back the raw token the cookie carries, never the stored hash", async () => {
    const { user, cookie } = await signUp();
    const body = (await (await call("/api/auth/get-session", { headers: { cookie } })).json()) as { session: { token: string } };
    expect(body.session.token).toBe(sessionTokenOf(cookie));
    expect(body.session.token).not.toBe((await tokensOf(user.id))[0]!.token);
  });

  it("a session issued before the hashing migration keeps working after it", async () => {
    const { user, cookie } = await signUp();
    const raw = sessionTokenOf(cookie);
    // The row as it was stored before: the raw token.
    await withSql((sql) => sql.query(`update session set token = $1 where user_id = $2`, [raw, user.id]));
    expect(await works(cookie)).toBe(false);
    await withSql((sql) => sql.query(migration));
    expect((await tokensOf(user.id))[0]!.token).toBe(await sha256Hex(raw));
    expect(await works(cookie)).toBe(true);
  });

  it("sign-out deletes the stored hash, so the cookie is dead even if replayed", async () => {
    const { user, cookie } = await signUp();
    expect((await postJson("/api/auth/sign-out", {}, { headers: { cookie } })).status).toBe(200);
    expect(await tokensOf(user.id)).toEqual([]);
    expect(await works(cookie)).toBe(false);
  });
});
