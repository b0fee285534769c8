// Change email: a link goes to the new address, and nothing changes until it
// is opened; the link works once; a taken address gets the same answer and no mail.
import { describe, expect, it } from "vitest";
import { mailThrottleId } from "../src/auth/throttle";
import { call, envWith, lastMailTo, linkIn, mailsTo, openLink, ORIGIN, postJson, signUp, uniqueEmail, withSql } from "./helpers";

/** Throttle rows for one kind of mail to one address. */
async function throttleSlots(kind: string, address: string): Promise<number> {
  const id = await mailThrottleId(kind, address);
  return withSql(async (sql) => (await sql.query(`select count(*)::int as n from verification where id = $1`, [id])).rows[0].n);
}

const emailOf = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select email, email_verified from "user" where id = $1`, [userId])).rows[0]);

describe("change-email", () => {
  it("mails the new address and changes nothing until the link is opened", async () => {
    const { email, password, user, cookie } = await signUp();
    await withSql((sql) => sql.query(`update "user" set email_verified = true where id = $1`, [user.id]));
    const newEmail = uniqueEmail("moved");

    const response = await postJson("/api/auth/change-email", { newEmail, callbackURL: `${ORIGIN}/settings` }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: true });
    expect(await emailOf(user.id)).toEqual({ email, email_verified: true });

    const mail = await lastMailTo(newEmail);
    expect(mail.Subject).toBe("Confirm your new email address");
    expect(mail.Text).toContain("Nothing changes until you open the link.");
    // Nothing went to the old address about it.
    expect((await mailsTo(email)).filter((m) => m.Subject !== "Verify your email address")).toEqual([]);

    const link = linkIn(mail, "/verify-email");
    const opened = await openLink(link, { headers: { cookie } });
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe(`${ORIGIN}/settings`);
    // Proven by the link in the new mailbox: still verified.
    expect(await emailOf(user.id)).toEqual({ email: newEmail, email_verified: true });

    expect((await postJson("/api/auth/sign-in/email", { email: newEmail, password })).status).toBe(200);
    expect((await postJson("/api/auth/sign-in/email", { email, password })).status).toBe(401);

    // The link works once: the account no longer has the old address it was issued for.
    const again = await openLink(new URL(link).pathname + "?token=" + new URL(link).searchParams.get("token"));
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("works from the mail without the session cookie too (the token names the user)", async () => {
    const { user, cookie } = await signUp();
    const newEmail = uniqueEmail("moved-nocookie");
    await postJson("/api/auth/change-email", { newEmail }, { headers: { cookie } });
    const opened = await openLink(linkIn(await lastMailTo(newEmail), "/verify-email"));
    expect(opened.status).toBe(302);
    expect((await emailOf(user.id)).email).toBe(newEmail);
  });

  it("answers the same for an address that is taken, and mails no one", async () => {
    const taken = await signUp();
    const { cookie, email, user } = await signUp();
    const response = await postJson("/api/auth/change-email", { newEmail: taken.email }, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: true });
    expect((await mailsTo(taken.email)).filter((m) => m.Subject === "Confirm your new email address")).toEqual([]);
    expect((await emailOf(user.id)).email).toBe(email);
    // The same work as for a free address: the mail throttle slot is claimed
    // for the taken one too, so timing does not tell the two apart.
    expect(await throttleSlots("change-email", taken.email)).toBe(1);
  });

  it("needs a session", async () => {
    const response = await postJson("/api/auth/change-email", { newEmail: uniqueEmail() });
    expect(response.status).toBe(401);
  });

  it("refuses a callbackURL outside the trusted origins", async () => {
    const { cookie } = await signUp();
    const newEmail = uniqueEmail("moved-evil");
    const response = await postJson("/api/auth/change-email", { newEmail, callbackURL: "https://evil.example/" }, { headers: { cookie } });
    expect(response.status).toBe(403);
    expect(await mailsTo(newEmail)).toEqual([]);
  });

  it("keeps /api/me in step once confirmed", async () => {
    const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true" });
    const { user, cookie } = await signUp();
    const newEmail = uniqueEmail("moved-me");
    await postJson("/api/auth/change-email", { newEmail }, { headers: { cookie } }, verifying);
    await openLink(linkIn(await lastMailTo(newEmail), "/verify-email"), { headers: { cookie } }, verifying);
    const me = await call("/api/me", { headers: { cookie } }, verifying);
    expect(await me.json()).toMatchObject({ id: user.id, email: newEmail });
  });

  it("needs a fresh session: an old cookie cannot move the address resets go to", async () => {
    const { email, user, cookie } = await signUp();
    // The session was signed in two days ago (SESSION_FRESH_AGE is 1 day).
    await withSql((sql) => sql.query(`update session set created_at = now() - interval '2 days' where user_id = $1`, [user.id]));
    const newEmail = uniqueEmail("takeover");
    const response = await postJson("/api/auth/change-email", { newEmail, callbackURL: `${ORIGIN}/settings` }, { headers: { cookie } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "SESSION_NOT_FRESH" });
    expect(await mailsTo(newEmail)).toEqual([]);
    expect((await emailOf(user.id)).email).toBe(email);
  });

  it("answers 409, not 500, when the new address was taken before the link was opened", async () => {
    const { email, user, cookie } = await signUp();
    const newEmail = uniqueEmail("contested");
    expect((await postJson("/api/auth/change-email", { newEmail, callbackURL: `${ORIGIN}/settings` }, { headers: { cookie } })).status).toBe(200);
    const link = linkIn(await lastMailTo(newEmail), "/verify-email");
    await signUp(newEmail);
    const opened = await openLink(link, { headers: { cookie } });
    expect(opened.status).toBe(409);
    expect(await opened.json()).toEqual({ error: { code: "conflict", message: expect.any(String) } });
    expect((await emailOf(user.id)).email).toBe(email);
  });
});
