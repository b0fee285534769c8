// Session lifecycle: who ends up holding an address, and which sessions
// survive verification, revocation and cleanup.
import { createScheduledController, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, envWith, lastMailTo, linkIn, mailsTo, openLink, postJson, signUp, uniqueEmail, withSql } from "../helpers";
import { makeAdmin, signIn, tokensOf, works } from "./helpers";

const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
const ATTACKER = "the attacker's own password";
const OWNER = "the owner's real password";

const register = (email: string, password: string, workerEnv: Env = verifying) =>
  postJson("/api/auth/sign-up/email", { email, password, name: "Someone" }, {}, workerEnv);

/** The cookies a response leaves set, as a browser keeps them: the last value per name, cleared ones gone. */
function latestCookies(response: Response): string {
  const jar = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
    if (value) jar.set(name, value);
    else jar.delete(name);
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

/**
 * Waits into the next second: verification links are JWTs with a `iat` in
 * seconds, so two links for one registration mailed in the same second are
 * the same link.
 */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

/** On the reset page a voiding verification link lands on: sets `password` with the token in its fragment. */
async function choosePassword(opened: Response, password: string) {
  const location = new URL(opened.headers.get("location")!, "http://x");
  expect(location.pathname).toBe("/reset-password");
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  expect(token).toBeTruthy();
  const reset = await postJson("/api/auth/reset-password", { token, newPassword: password }, {}, verifying);
  expect(reset.status).toBe(200);
}

/**
 * The race: the owner signs up, the attacker signs up the same address after
 * (replacing the owner's registration with the attacker's password), the
 * owner's link now answers INVALID_TOKEN, and a newer link reaches the owner
 * (`newLink`: a resend, or the attacker's sign-in attempt). The owner opens
 * it: the address is verified, nobody is signed in, no password set before
 * works, and the owner chooses one on the reset page.
 */
async function raceThen(newLink: (email: string) => Promise<Response>) {
  const email = uniqueEmail("race");
  expect((await register(email, OWNER)).status).toBe(200);
  const ownersLink = linkIn(await lastMailTo(email), "/verify-email");
  expect((await register(email, ATTACKER)).status).toBe(200);
  expect((await openLink(ownersLink, {}, verifying)).headers.get("location") ?? "").toContain("INVALID_TOKEN");
  const asked = await newLink(email);
  expect([200, 403]).toContain(asked.status);
  const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, verifying);
  expect(opened.status).toBe(302);
  const location = new URL(opened.headers.get("location")!, "http://x");
  expect(location.pathname).toBe("/reset-password");
  expect(location.searchParams.get("verified")).toBe("1");
  const page = await call(`${location.pathname}${location.search}`, {}, verifying);
  expect(await page.text()).toContain("Your address is verified");
  // Verified, but not signed in: no session cookie, no session row.
  expect(opened.headers.getSetCookie().some((c) => /^better-auth\.session_token=[^;]/.test(c))).toBe(false);
  const [row] = (await withSql((sql) => sql.query(`select id, email_verified from "user" where email = $1`, [email]))).rows;
  expect(row.email_verified).toBe(true);
  expect(await tokensOf(row.id)).toEqual([]);
  expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  await choosePassword(opened, OWNER);
  expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
  expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  // The sign-up's own link of the attacker's registration, opened later, has nothing left to do.
  const attackersLink = linkIn((await mailsTo(email))[1]!, "/verify-email");
  expect((await openLink(attackersLink, {}, verifying)).headers.get("location") ?? "").toContain("TOKEN_ALREADY_USED");
  expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
}

describe("session lifecycle", () => {
  it("registering the owner's address first does not keep it: after the owner verifies, only the owner's password works (finding 1)", async () => {
    const email = uniqueEmail("victim");
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await register(email, OWNER)).status).toBe(200);
    expect((await postJson("/api/auth/send-verification-email", { email }, {}, verifying)).status).toBe(200);
    const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, verifying);
    expect(opened.status).toBe(302);
    // A resent link keeps no password (see "the race" below): the owner chooses one on the reset page.
    await choosePassword(opened, OWNER);
    expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  });

  // The race: the owner signs up, the attacker signs up the same address after
  // (replacing the owner's registration with the attacker's password), and the
  // owner, whose link now answers INVALID_TOKEN, opens a newer link mailed by
  // a resend or by the attacker's sign-in attempt.
  it("the race, the owner asks for a new link: it verifies the address but voids the attacker's password, and the owner chooses one", () =>
    raceThen((email) => postJson("/api/auth/send-verification-email", { email }, {}, verifying)));

  it("the race, the attacker signs in (which mails the owner a new link): the same, the attacker's password is refused", () =>
    raceThen((email) => signIn(email, ATTACKER, verifying).then((r) => r.response)));

  it("a first registrant's password is kept only by the link its sign-up mailed: a later resent link (another token) voids it", async () => {
    const email = uniqueEmail("first");
    expect((await register(email, ATTACKER)).status).toBe(200);
    const signUpLink = linkIn(await lastMailTo(email), "/verify-email");
    await nextSecond();
    expect((await postJson("/api/auth/send-verification-email", { email }, {}, verifying)).status).toBe(200);
    const resent = linkIn(await lastMailTo(email), "/verify-email");
    expect(resent).not.toBe(signUpLink);
    const opened = await openLink(resent, {}, verifying);
    expect(new URL(opened.headers.get("location")!, "http://x").pathname).toBe("/reset-password");
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
    expect((await openLink(signUpLink, {}, verifying)).headers.get("location") ?? "").toContain("TOKEN_ALREADY_USED");
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  });

  it("the normal flow is unchanged: the sign-up's own link signs in at once with the sign-up's password, even after a resend", async () => {
    const email = uniqueEmail("normal");
    expect((await register(email, OWNER)).status).toBe(200);
    const signUpLink = linkIn(await lastMailTo(email), "/verify-email");
    await nextSecond();
    expect((await postJson("/api/auth/send-verification-email", { email }, {}, verifying)).status).toBe(200);
    expect(linkIn(await lastMailTo(email), "/verify-email")).not.toBe(signUpLink);
    // The sign-up's link is recorded as a hash only, like every token at rest.
    const token = new URL(signUpLink).searchParams.get("token")!;
    const rows = (await withSql((sql) => sql.query(`select v.id, v.identifier from verification v join "user" u on u.id = v.value where u.email = $1 and v.id like 'sign-up-link:%'`, [email]))).rows;
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    const opened = await openLink(signUpLink, {}, verifying);
    expect(opened.status).toBe(302);
    expect(new URL(opened.headers.get("location")!, "http://x").pathname).toBe("/verified");
    expect(await works(latestCookies(opened), verifying)).toBe(true);
    expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
  });

  it("a code sign-in for a pending registration verifies the address and keeps no password set before it", async () => {
    const email = uniqueEmail("code");
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await postJson("/api/auth/email-otp/send-verification-otp", { email, type: "sign-in" }, {}, verifying)).status).toBe(200);
    const otp = /^\d{6}$/m.exec((await lastMailTo(email)).Text)![0];
    expect((await postJson("/api/auth/sign-in/email-otp", { email, otp }, {}, verifying)).status).toBe(200);
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  });

  it("a magic-link sign-in for a pending registration verifies the address and keeps no password set before it", async () => {
    const email = uniqueEmail("magic");
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await postJson("/api/auth/sign-in/magic-link", { email, callbackURL: "/account" }, {}, verifying)).status).toBe(200);
    expect((await openLink(linkIn(await lastMailTo(email), "/magic-link/verify"), {}, verifying)).status).toBe(302);
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  });

  it("the owner's sign-up replaces the attacker's pending registration whatever the case of the address", async () => {
    const email = uniqueEmail("victim-case");
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await register(email.toUpperCase(), OWNER)).status).toBe(200);
    const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, verifying);
    expect(opened.status).toBe(302);
    // A sign-up that replaced a pending registration keeps no password (see "the race" below).
    await choosePassword(opened, OWNER);
    expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
  });

  it("a verification link mailed for a replaced registration verifies nothing", async () => {
    const email = uniqueEmail("replaced");
    await register(email, ATTACKER);
    const stale = linkIn(await lastMailTo(email), "/verify-email");
    await register(email, OWNER);
    const opened = await openLink(stale, {}, verifying);
    expect(opened.headers.get("location") ?? "").toContain("INVALID_TOKEN");
    const verified = await withSql(async (sql) => (await sql.query(`select email_verified from "user" where email = $1`, [email])).rows[0].email_verified);
    expect(verified).toBe(false);
  });

  it("a sign-up that fails (password too short) replaces nothing: the pending registration and its link stay", async () => {
    const email = uniqueEmail("kept");
    await register(email, OWNER);
    const link = linkIn(await lastMailTo(email), "/verify-email");
    const idOf = async () => withSql(async (sql) => (await sql.query(`select id from "user" where email = $1`, [email])).rows.map((r) => r.id));
    const before = await idOf();
    const refused = await register(email, "short");
    expect(refused.status).toBe(400);
    expect(await idOf()).toEqual(before);
    // Refused by the body schema (no name), before sign-up's transaction: nothing replaced either.
    expect((await postJson("/api/auth/sign-up/email", { email, password: ATTACKER }, {}, verifying)).status).toBe(400);
    expect(await idOf()).toEqual(before);
    expect((await openLink(link, {}, verifying)).status).toBe(302);
    expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
  });

  it("an anonymous user's address is no pending registration: a sign-up for it replaces nothing", async () => {
    const anon = (await (await call("/api/auth/sign-in/anonymous", { method: "POST" }, verifying)).json()) as { user: { id: string; email: string } };
    await register(anon.user.email, ATTACKER);
    const kept = await withSql(async (sql) => (await sql.query(`select is_anonymous from "user" where id = $1`, [anon.user.id])).rows);
    expect(kept).toEqual([{ is_anonymous: true }]);
  });

  it("an unverified user with another sign-in method (a social account) is no pending registration either", async () => {
    const email = uniqueEmail("social");
    await register(email, OWNER);
    const [{ id }] = (await withSql((sql) => sql.query(`select id from "user" where email = $1`, [email]))).rows;
    await withSql((sql) =>
      sql.query(`insert into account (id, account_id, provider_id, user_id, created_at, updated_at) values ($1, $2, 'github', $3, now(), now())`, [
        crypto.randomUUID(),
        `gh-${id}`,
        id,
      ]),
    );
    await register(email, ATTACKER);
    expect((await withSql((sql) => sql.query(`select id from "user" where email = $1`, [email]))).rows).toEqual([{ id }]);
  });

  it("a verified account is never replaced by a later sign-up", async () => {
    const email = uniqueEmail("verified");
    await register(email, OWNER);
    await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, verifying);
    const before = await mailsTo(email);
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await signIn(email, OWNER, verifying)).response.status).toBe(200);
    expect((await signIn(email, ATTACKER, verifying)).response.status).toBe(401);
    expect(await mailsTo(email)).toHaveLength(before.length);
  });

  it("sessions issued before the address was verified are revoked when it is", async () => {
    const optional = envWith({ REQUIRE_EMAIL_VERIFICATION: "false", EMAIL_RESEND_INTERVAL: "0" });
    const { email, cookie } = await signUp(uniqueEmail("early"), OWNER);
    expect(await works(cookie)).toBe(true);
    await postJson("/api/auth/send-verification-email", { email }, {}, optional);
    await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, optional);
    expect(await works(cookie)).toBe(false);
  });

  it("revoke-other-sessions ends the listed sessions and keeps the caller's, though the list carries only hashes", async () => {
    const { email, password, cookie, user } = await signUp();
    const other = (await signIn(email, password)).cookie;
    expect((await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie } })).status).toBe(200);
    expect(await works(other)).toBe(false);
    expect(await works(cookie)).toBe(true);
    expect(await tokensOf(user.id)).toHaveLength(1);
  });

  it("an admin's revoke-user-sessions ends every session of the user", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const target = await signUp();
    const response = await postJson("/api/auth/admin/revoke-user-sessions", { userId: target.user.id }, { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    expect(await works(target.cookie)).toBe(false);
    expect(await tokensOf(target.user.id)).toEqual([]);
  });

  it("an admin revokes one session of a user by its id (admins see no tokens)", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const target = await signUp();
    const phone = (await signIn(target.email, target.password, undefined, { "user-agent": "Phone/9" })).cookie;
    const listed = await postJson("/api/auth/admin/list-user-sessions", { userId: target.user.id }, { headers: { cookie: admin.cookie } });
    const { sessions } = (await listed.json()) as { sessions: { id: string; userAgent: string }[] };
    const phoneSession = sessions.find((s) => s.userAgent === "Phone/9")!;
    const response = await postJson("/api/auth/admin/revoke-user-session-by-id", { sessionId: phoneSession.id }, { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    expect(await works(phone)).toBe(false);
    expect(await works(target.cookie)).toBe(true);
  });

  it("a user who is not an admin cannot revoke another user's session by id", async () => {
    const mallory = await signUp();
    const target = await signUp();
    const [row] = await tokensOf(target.user.id);
    const response = await postJson("/api/auth/admin/revoke-user-session-by-id", { sessionId: row!.id }, { headers: { cookie: mallory.cookie } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS" });
    expect(await works(target.cookie)).toBe(true);
  });

  it("impersonation through hashed tokens: the admin acts as the user, and stop-impersonating gives the admin's own session back", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const target = await signUp();
    const started = await postJson("/api/auth/admin/impersonate-user", { userId: target.user.id }, { headers: { cookie: admin.cookie } });
    expect(started.status).toBe(200);
    const jar = latestCookies(started);
    const me = (await (await call("/api/me", { headers: { cookie: jar } })).json()) as { id: string };
    expect(me.id).toBe(target.user.id);
    const rows = await tokensOf(target.user.id);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.token).toMatch(/^[0-9a-f]{64}$/);
    const stopped = await postJson("/api/auth/admin/stop-impersonating", {}, { headers: { cookie: jar } });
    expect(stopped.status).toBe(200);
    const back = (await (await call("/api/me", { headers: { cookie: latestCookies(stopped) } })).json()) as { id: string };
    expect(back.id).toBe(admin.user.id);
    expect(await tokensOf(target.user.id)).toHaveLength(1);
  });

  it("banning a user ends every (hashed) session of theirs", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const target = await signUp();
    expect((await postJson("/api/auth/admin/ban-user", { userId: target.user.id }, { headers: { cookie: admin.cookie } })).status).toBe(200);
    expect(await works(target.cookie)).toBe(false);
    expect(await tokensOf(target.user.id)).toEqual([]);
  });

  it("revoke-user-session-by-id grants exactly what the admin plugin's revoke-user-session grants (role \"user, admin\": neither)", async () => {
    const odd = await signUp();
    await withSql((sql) => sql.query(`update "user" set role = 'user, admin' where id = $1`, [odd.user.id]));
    const target = await signUp();
    const [row] = await tokensOf(target.user.id);
    const byToken = await postJson("/api/auth/admin/revoke-user-session", { sessionToken: "x" }, { headers: { cookie: odd.cookie } });
    const byId = await postJson("/api/auth/admin/revoke-user-session-by-id", { sessionId: row!.id }, { headers: { cookie: odd.cookie } });
    expect([byId.status, await byId.json()]).toEqual([byToken.status, await byToken.json()]);
    expect(byId.status).toBe(403);
    expect(await works(target.cookie)).toBe(true);
  });

  it("the cleanup job deletes expired (hashed) sessions and leaves live ones working", async () => {
    const expired = await signUp();
    const live = await signUp();
    await withSql((sql) => sql.query(`update session set expires_at = now() - interval '1 hour' where user_id = $1`, [expired.user.id]));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "0 * * * *" }), envWith({}), ctx);
    await waitOnExecutionContext(ctx);
    expect(await tokensOf(expired.user.id)).toEqual([]);
    expect(await works(live.cookie)).toBe(true);
  });
});
