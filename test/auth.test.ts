import { describe, expect, it } from "vitest";
import { call, cookiesFrom, countedEnv, postJson, signUp, uniqueEmail, withSql } from "./helpers";

describe("email and password auth", () => {
  it("signs up a user, stores it as a free user, and sets a session cookie", async () => {
    const email = uniqueEmail("signup");
    const response = await postJson("/api/auth/sign-up/email", {
      email,
      password: "correct horse battery staple",
      name: "Ada",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { id: string; email: string; tier: string } };
    expect(body.user.email).toBe(email);
    expect(body.user.tier).toBe("free");
    expect(cookiesFrom(response)).toMatch(/better-auth\.session_token=/);

    const rows = await withSql((sql) =>
      sql.query(
        `select u.tier, u.email_verified, a.provider_id, a.password, s.expires_at
           from "user" u join account a on a.user_id = u.id join session s on s.user_id = u.id
          where u.email = $1`,
        [email],
      ),
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].tier).toBe("free");
    expect(rows.rows[0].provider_id).toBe("credential");
    // argon2id at OWASP's parameters as a PHC string, never the password itself.
    expect(rows.rows[0].password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(new Date(rows.rows[0].expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a second sign-up with the same email", async () => {
    const { email } = await signUp();
    const response = await postJson("/api/auth/sign-up/email", { email, password: "another password 123", name: "X" });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL" });
  });

  it("signs in with the right password", async () => {
    const { email, password, user } = await signUp();
    const response = await postJson("/api/auth/sign-in/email", { email, password });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { id: string } };
    expect(body.user.id).toBe(user.id);
    expect(cookiesFrom(response)).toMatch(/better-auth\.session_token=/);
  });

  it("a sign-in costs one connection and five statements: the user is not looked up a second time by id", async () => {
    // The attempt counted, the user by email, its accounts, the session, the
    // count cleared. The admin plugin's ban check reuses the row read by email.
    const { email, password } = await signUp();
    const { workerEnv, counts } = await countedEnv();
    expect((await postJson("/api/auth/sign-in/email", { email, password }, {}, workerEnv)).status).toBe(200);
    expect(await counts()).toEqual({ connections: 1, statements: 5 });
  });

  it("a banned user's sign-in is refused (the ban check sees the row read in the same request)", async () => {
    const { email, password, user } = await signUp();
    await withSql((sql) => sql.query(`update "user" set banned = true where id = $1`, [user.id]));
    const response = await postJson("/api/auth/sign-in/email", { email, password });
    expect(response.status).toBe(403);
    expect(cookiesFrom(response)).not.toMatch(/better-auth\.session_token=/);
  });

  it("refuses the wrong password with better-auth's 401 and no cookie", async () => {
    const { email } = await signUp();
    const response = await postJson("/api/auth/sign-in/email", { email, password: "wrong password 000" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "INVALID_EMAIL_OR_PASSWORD" });
    expect(response.headers.getSetCookie().some((c) => c.startsWith("better-auth.session_token=") && !c.includes("Max-Age=0"))).toBe(false);
  });

  it("refuses an unknown email the same way as a wrong password", async () => {
    const response = await postJson("/api/auth/sign-in/email", { email: uniqueEmail("nobody"), password: "whatever 12345" });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "INVALID_EMAIL_OR_PASSWORD" });
  });

  it("get-session returns the user with the cookie and null without it", async () => {
    const { cookie, user } = await signUp();
    const withCookie = await call("/api/auth/get-session", { headers: { cookie } });
    expect(withCookie.status).toBe(200);
    const body = (await withCookie.json()) as { user: { id: string; tier: string }; session: { userId: string } };
    expect(body.user.id).toBe(user.id);
    expect(body.user.tier).toBe("free");
    expect(body.session.userId).toBe(user.id);

    const without = await call("/api/auth/get-session");
    expect(without.status).toBe(200);
    expect(await without.json()).toBeNull();
  });

  it("sign-out ends the session: the same cookie no longer gets a session", async () => {
    const { cookie, user } = await signUp();
    const out = await call("/api/auth/sign-out", { method: "POST", headers: { cookie } });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ success: true });

    const after = await call("/api/auth/get-session", { headers: { cookie } });
    expect(await after.json()).toBeNull();
    const sessions = await withSql((sql) => sql.query(`select count(*)::int as n from session where user_id = $1`, [user.id]));
    expect(sessions.rows[0].n).toBe(0);
  });

  it("answers a malformed JSON body with a 4xx, not a 500", async () => {
    const response = await call("/api/auth/sign-up/email", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"email": "a@b.c", "password": ',
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("rejects an invalid sign-up body with better-auth's validation error", async () => {
    const response = await postJson("/api/auth/sign-up/email", { email: "not-an-email", password: "x", name: "X" });
    expect(response.status).toBe(400);
  });

  it("refuses a cross-site request from an untrusted origin", async () => {
    const response = await postJson(
      "/api/auth/sign-up/email",
      { email: uniqueEmail(), password: "correct horse battery staple", name: "X" },
      { headers: { origin: "https://evil.example" } },
    );
    expect(response.status).toBe(403);
  });
});
