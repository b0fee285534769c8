// Session lifecycle: who ends up holding an address, and which sessions
// survive verification, revocation and cleanup.
import { createScheduledController, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { envWith, lastMailTo, linkIn, mailsTo, openLink, postJson, signUp, uniqueEmail, withSql } from "../helpers";
import { makeAdmin, signIn, tokensOf, works } from "./helpers";

const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
const ATTACKER = "the attacker's own password";
const OWNER = "the owner's real password";

const register = (email: string, password: string, workerEnv: Env = verifying) =>
  postJson("/api/auth/sign-up/email", { email, password, name: "Someone" }, {}, workerEnv);

describe("session lifecycle", () => {
  it("registering the owner's address first does not keep it: after the owner verifies, only the owner's password works (finding 1)", async () => {
    const email = uniqueEmail("victim");
    expect((await register(email, ATTACKER)).status).toBe(200);
    expect((await register(email, OWNER)).status).toBe(200);
    expect((await postJson("/api/auth/send-verification-email", { email }, {}, verifying)).status).toBe(200);
    const opened = await openLink(linkIn(await lastMailTo(email), "/verify-email"), {}, verifying);
    expect(opened.status).toBe(302);
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
