// Code guessing: emailed sign-in codes are 6 digits, so guesses are bounded
// per code (5), per account across every client address (the sign-in lock),
// and per client (the edge rate limit); magic links are rate limited too.
import { describe, expect, it } from "vitest";
import { failuresId } from "../../src/auth/sign-in-guard";
import { call, envWith, lastMailTo, linkIn, postJson, randomClientAddress, signUp, uniqueEmail, withSql } from "../helpers";
import { signIn } from "./helpers";

// Every request for a code mails one, so a test can ask for a second code at once.
const guarded = envWith({ SIGN_IN_MAX_FAILURES: "5", SIGN_IN_LOCKOUT: "15m", EMAIL_RESEND_INTERVAL: "0" });

const requestCode = (email: string, workerEnv: Env = guarded) =>
  postJson("/api/auth/email-otp/send-verification-otp", { email, type: "sign-in" }, {}, workerEnv);

const signInWithCode = (email: string, otp: string, workerEnv: Env = guarded, client = randomClientAddress()) =>
  postJson("/api/auth/sign-in/email-otp", { email, otp }, { headers: { "cf-connecting-ip": client } }, workerEnv);

async function codeFor(email: string): Promise<string> {
  const code = /^\d{6}$/m.exec((await lastMailTo(email)).Text)?.[0];
  if (!code) throw new Error("no code in the mail");
  return code;
}

const wrong = (code: string, i: number) => String((Number(code) + i) % 1_000_000).padStart(6, "0");

/** The limiter counts in windows of one wall-clock minute: start well inside one. */
async function atStartOfAWindow() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}

describe("code guessing", () => {
  it("wrong codes from many addresses lock the account: a fresh code is refused too, with a wrong code's answer", async () => {
    const { email, password } = await signUp();
    await requestCode(email);
    const first = await codeFor(email);
    for (let i = 1; i <= 5; i++) expect((await signInWithCode(email, wrong(first, i))).status).toBe(400);
    const lock = await withSql(async (sql) => (await sql.query(`select value from verification where id = $1`, [await failuresId(email)])).rows[0]);
    expect(lock.value).toBe("5");

    await requestCode(email);
    const second = await codeFor(email);
    expect(second).not.toBe(first);
    const refused = await signInWithCode(email, second);
    const wrongAnswer = await signInWithCode(uniqueEmail("nobody"), "000000");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual(await wrongAnswer.json());
    expect(refused.headers.getSetCookie().join()).not.toMatch(/session_token=[^;]/);
    // One lock per account, whatever the method: the password is refused too.
    expect((await signIn(email, password, guarded)).response.status).toBe(401);
  });

  it("a right code clears the failures counted before it", async () => {
    const { email } = await signUp();
    await requestCode(email);
    const code = await codeFor(email);
    for (let i = 1; i <= 3; i++) expect((await signInWithCode(email, wrong(code, i))).status).toBe(400);
    expect((await signInWithCode(email, code)).status).toBe(200);
    const left = await withSql(async (sql) => (await sql.query(`select 1 from verification where id = $1`, [await failuresId(email)])).rowCount);
    expect(left).toBe(0);
  });

  it("the credential rate limit covers asking for codes, guessing them and opening magic links", async () => {
    const { email } = await signUp();
    const client = randomClientAddress();
    await atStartOfAWindow();
    const guesses: number[] = [];
    for (let i = 0; i < 11; i++) guesses.push((await signInWithCode(email, String(i).padStart(6, "0"), envWith({}), client)).status);
    expect(guesses.slice(0, 10).every((s) => s !== 429)).toBe(true);
    expect(guesses[10]).toBe(429);

    const asks: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await postJson("/api/auth/email-otp/send-verification-otp", { email: uniqueEmail("ask"), type: "sign-in" }, { headers: { "cf-connecting-ip": client } });
      asks.push(response.status);
    }
    expect(asks.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(asks[10]).toBe(429);

    await postJson("/api/auth/sign-in/magic-link", { email, callbackURL: "/" });
    const link = new URL(linkIn(await lastMailTo(email), "/magic-link/verify"));
    const opens: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await call(`${link.pathname}?token=made-up-${i}&callbackURL=%2F`, { headers: { "cf-connecting-ip": client } });
      opens.push(response.status);
    }
    expect(opens.slice(0, 10)).toEqual(Array(10).fill(302));
    expect(opens[10]).toBe(429);
    // The real link still works from another client.
    expect((await call(`${link.pathname}${link.search}`)).status).toBe(302);
  });
});
