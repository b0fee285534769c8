// Delete account: by default only through the emailed link (opened while
// signed in); with DELETE_ACCOUNT_CONFIRMATION=fresh-session a fresh session
// or the password is enough. Either way the user's sessions, accounts, tier
// history and tokens go with it, and no table keeps a row about them.
import { describe, expect, it } from "vitest";
import {
  call,
  cookiesFrom,
  withoutSessionCache,
  envWith,
  lastMailTo,
  linkIn,
  mailsTo,
  openLink,
  ORIGIN,
  postJson,
  signUp,
  withSql,
} from "./helpers";

/**
 * Rows in any table of the public schema that mention the user's id or email
 * anywhere (the row cast to text), table by table.
 */
async function rowsAbout(userId: string, email: string): Promise<Record<string, number>> {
  return withSql(async (sql) => {
    const tables = await sql.query(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    );
    const found: Record<string, number> = {};
    for (const { table_name: name } of tables.rows as { table_name: string }[]) {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      const { rows } = await sql.query(
        `select count(*)::int as n from ${quoted} t where strpos(t::text, $1) > 0 or strpos(lower(t::text), lower($2)) > 0`,
        [userId, email],
      );
      if (rows[0].n > 0) found[name] = rows[0].n;
    }
    return found;
  });
}

/** A user with everything a user accumulates: two sessions, a pending reset token, a tier change. */
async function busyUser() {
  const signedUp = await signUp();
  const other = withoutSessionCache(cookiesFrom(await postJson("/api/auth/sign-in/email", { email: signedUp.email, password: signedUp.password })));
  await postJson("/api/auth/request-password-reset", { email: signedUp.email });
  const admin = await signUp();
  await withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [admin.user.id]));
  const tier = await call(`/api/admin/users/${signedUp.user.id}/tier`, {
    method: "PUT",
    headers: { cookie: admin.cookie, "content-type": "application/json" },
    body: JSON.stringify({ tier: "member" }),
  });
  expect(tier.status).toBe(200);
  const before = await rowsAbout(signedUp.user.id, signedUp.email);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(["user", "session", "account", "verification", "tier_change"]));
  return { ...signedUp, other, admin };
}

describe("delete-user with the emailed confirmation (default)", () => {
  it("mails a link, deletes nothing yet, and deletes everything once it is opened while signed in", async () => {
    const { email, user, cookie, other } = await busyUser();
    const response = await postJson("/api/auth/delete-user", { callbackURL: `${ORIGIN}/goodbye` }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, message: "Verification email sent" });
    expect((await call("/api/me", { headers: { cookie } })).status).toBe(200);

    const mail = await lastMailTo(email);
    expect(mail.Subject).toBe("Confirm deleting your account");
    const link = linkIn(mail, "/delete-user/callback");
    const token = new URL(link).searchParams.get("token")!;
    const verificationRows = await withSql(async (sql) => (await sql.query(`select * from verification`)).rows);
    expect(JSON.stringify(verificationRows)).not.toContain(token);

    // Without the session (a mail scanner, someone else): nothing happens.
    const anonymous = await openLink(link);
    expect(anonymous.status).toBe(404);
    expect((await call("/api/me", { headers: { cookie } })).status).toBe(200);

    const opened = await openLink(link, { headers: { cookie } });
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe(`${ORIGIN}/goodbye`);
    expect(await rowsAbout(user.id, email)).toEqual({});
    expect((await call("/api/me", { headers: { cookie } })).status).toBe(401);
    expect((await call("/api/me", { headers: { cookie: other } })).status).toBe(401);
  });

  it("also takes the token in the POST body, once", async () => {
    const { email, user, cookie } = await signUp();
    await postJson("/api/auth/delete-user", {}, { headers: { cookie } });
    const token = new URL(linkIn(await lastMailTo(email), "/delete-user/callback")).searchParams.get("token")!;
    const wrong = await postJson("/api/auth/delete-user", { token: `${token}x` }, { headers: { cookie } });
    expect(wrong.status).toBe(404);
    expect(await wrong.json()).toMatchObject({ code: "INVALID_TOKEN" });

    const response = await postJson("/api/auth/delete-user", { token }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, message: "User deleted" });
    expect(await rowsAbout(user.id, email)).toEqual({});
  });

  it("does not accept another user's link", async () => {
    const victim = await signUp();
    const attacker = await signUp();
    await postJson("/api/auth/delete-user", {}, { headers: { cookie: attacker.cookie } });
    const link = linkIn(await lastMailTo(attacker.email), "/delete-user/callback");
    const response = await openLink(link, { headers: { cookie: victim.cookie } });
    expect(response.status).toBe(404);
    expect((await call("/api/me", { headers: { cookie: victim.cookie } })).status).toBe(200);
  });

  it("needs a session", async () => {
    expect((await postJson("/api/auth/delete-user", {})).status).toBe(401);
  });

  it("refuses a callbackURL outside the trusted origins and mails nothing", async () => {
    const { email, cookie } = await signUp();
    const before = (await mailsTo(email)).length;
    const response = await postJson("/api/auth/delete-user", { callbackURL: "https://evil.example/" }, { headers: { cookie } });
    expect(response.status).toBe(403);
    expect(await mailsTo(email)).toHaveLength(before);
  });
});

describe("delete-user with DELETE_ACCOUNT_CONFIRMATION=fresh-session", () => {
  const freshOnly = envWith({ DELETE_ACCOUNT_CONFIRMATION: "fresh-session" });

  it("deletes at once from a fresh session, with everything that was the user's, and mails nothing", async () => {
    const { email, user, cookie, other } = await busyUser();
    const mailsBefore = (await mailsTo(email)).length;
    const response = await postJson("/api/auth/delete-user", {}, { headers: { cookie } }, freshOnly);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, message: "User deleted" });
    expect(await rowsAbout(user.id, email)).toEqual({});
    expect((await call("/api/me", { headers: { cookie: other } }, freshOnly)).status).toBe(401);
    expect(await mailsTo(email)).toHaveLength(mailsBefore);
  });

  it("refuses a session older than SESSION_FRESH_AGE without the password", async () => {
    const { cookie, user, email } = await signUp();
    await withSql((sql) => sql.query(`update session set created_at = now() - interval '2 days' where user_id = $1`, [user.id]));
    const response = await postJson("/api/auth/delete-user", {}, { headers: { cookie } }, freshOnly);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "SESSION_EXPIRED" });
    expect(await rowsAbout(user.id, email)).toMatchObject({ user: 1 });
  });

  it("accepts the password instead of a fresh session, and refuses a wrong one", async () => {
    const { cookie, user, email, password } = await signUp();
    await withSql((sql) => sql.query(`update session set created_at = now() - interval '2 days' where user_id = $1`, [user.id]));
    const wrong = await postJson("/api/auth/delete-user", { password: "not my password 9" }, { headers: { cookie } }, freshOnly);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: "INVALID_PASSWORD" });
    const right = await postJson("/api/auth/delete-user", { password }, { headers: { cookie } }, freshOnly);
    expect(right.status).toBe(200);
    expect(await rowsAbout(user.id, email)).toEqual({});
  });
});

describe("admin remove-user", () => {
  it("leaves no row about the user either, pending links included", async () => {
    const { user, email, admin } = await busyUser();
    const removed = await postJson("/api/auth/admin/remove-user", { userId: user.id }, { headers: { cookie: admin.cookie } });
    expect(removed.status).toBe(200);
    expect(await rowsAbout(user.id, email)).toEqual({});
  });
});
