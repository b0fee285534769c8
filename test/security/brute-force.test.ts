// Brute force: failed sign-ins are counted per account across all client
// addresses; a lock is short, silent, and ended by a password reset.
import { describe, expect, it } from "vitest";
import { envWith, postJson, randomClientAddress, signUp, uniqueEmail, withSql } from "../helpers";
import { failuresId } from "../../src/auth/sign-in-guard";
import { resetTokenFor, signIn } from "./helpers";

const guarded = envWith({ SIGN_IN_MAX_FAILURES: "5", SIGN_IN_LOCKOUT: "15m" });

/** Wrong passwords for `email`, each from its own client address, as a botnet sends them. */
async function guess(email: string, times: number, workerEnv: Env = guarded) {
  for (let i = 0; i < times; i++) {
    const response = await postJson("/api/auth/sign-in/email", { email, password: `guess ${i}` }, { headers: { "cf-connecting-ip": randomClientAddress() } }, workerEnv);
    expect(response.status).toBe(401);
  }
}

const lockRow = async (email: string) => {
  const id = await failuresId(email);
  return withSql(async (sql) => (await sql.query(`select value, expires_at from verification where id = $1`, [id])).rows[0]);
};

describe("brute force", () => {
  it("25 wrong passwords from 25 addresses, then the right one: refused (finding 4, default limits)", async () => {
    const { email, password } = await signUp();
    await guess(email, 25, envWith({}));
    const { response } = await signIn(email, password);
    expect(response.status).toBe(401);
  });

  it("a locked account gets the very answer an unknown address gets", async () => {
    const { email, password } = await signUp();
    await guess(email, 5);
    const locked = await signIn(email, password, guarded);
    const unknown = await signIn(uniqueEmail("nobody"), password, guarded);
    expect(locked.response.status).toBe(unknown.response.status);
    expect(await locked.response.json()).toEqual(await unknown.response.json());
    expect(locked.cookie).not.toMatch(/session_token=[^;]/);
  });

  it("a successful password reset ends the lock at once", async () => {
    const { email } = await signUp();
    await guess(email, 5);
    expect((await lockRow(email)).value).toBe("5");
    await postJson("/api/auth/request-password-reset", { email, redirectTo: "/reset" }, {}, guarded);
    const token = await resetTokenFor(email);
    const reset = await postJson("/api/auth/reset-password", { token, newPassword: "a brand new passphrase" }, {}, guarded);
    expect(reset.status).toBe(200);
    expect(await lockRow(email)).toBeUndefined();
    expect((await signIn(email, "a brand new passphrase", guarded)).response.status).toBe(200);
  });

  it("the lock ends after SIGN_IN_LOCKOUT, never later", async () => {
    const { email, password } = await signUp();
    await guess(email, 5);
    expect((await signIn(email, password, guarded)).response.status).toBe(401);
    const row = await lockRow(email);
    const left = new Date(row.expires_at).getTime() - Date.now();
    expect(left).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(left).toBeGreaterThan(14 * 60 * 1000);
    const id = await failuresId(email);
    await withSql((sql) => sql.query(`update verification set expires_at = now() - interval '1 second' where id = $1`, [id]));
    expect((await signIn(email, password, guarded)).response.status).toBe(200);
  });

  it("attempts while locked are not counted, so they cannot stretch the lock", async () => {
    const { email } = await signUp();
    await guess(email, 5);
    const before = await lockRow(email);
    await guess(email, 3);
    const after = await lockRow(email);
    expect(after.value).toBe("5");
    expect(new Date(after.expires_at).getTime()).toBe(new Date(before.expires_at).getTime());
  });

  it("a successful sign-in before the limit starts the count again", async () => {
    const { email, password } = await signUp();
    await guess(email, 4);
    expect((await signIn(email, password, guarded)).response.status).toBe(200);
    await guess(email, 4);
    expect((await signIn(email, password, guarded)).response.status).toBe(200);
  });

  it("an attempt that is not a wrong password gives its count back: an unverified owner's right password never locks", async () => {
    const workerEnv = envWith({ SIGN_IN_MAX_FAILURES: "2", REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
    const email = uniqueEmail("brute-unverified");
    const password = "the owner's own password";
    expect((await postJson("/api/auth/sign-up/email", { email, password, name: "U" }, {}, workerEnv)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await signIn(email, password, workerEnv)).response.status).toBe(403);
    expect((await lockRow(email))?.value ?? "0").toBe("0");
  });

  it("an unknown address is counted and locked alike, so a lock proves no account", async () => {
    const nobody = uniqueEmail("brute-nobody");
    await guess(nobody, 5);
    expect((await lockRow(nobody)).value).toBe("5");
  });
});
