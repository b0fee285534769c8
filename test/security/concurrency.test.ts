// Concurrency: counters and registrations hold when many clients act at once.
import { describe, expect, it } from "vitest";
import { failuresId } from "../../src/auth/sign-in-guard";
import { envWith, postJson, randomClientAddress, signUp, uniqueEmail, withSql } from "../helpers";
import { signIn } from "./helpers";

describe("concurrency", () => {
  it("25 wrong passwords sent at once from 25 clients are all counted, through the Worker", async () => {
    const { email } = await signUp();
    const counting = envWith({ SIGN_IN_MAX_FAILURES: "1000" });
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        postJson("/api/auth/sign-in/email", { email, password: `guess ${i}` }, { headers: { "cf-connecting-ip": randomClientAddress() } }, counting),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(25).fill(401));
    const id = await failuresId(email);
    const row = (await withSql((sql) => sql.query(`select value from verification where id = $1`, [id]))).rows[0];
    expect(row.value).toBe("25");
  });

  it("a burst of wrong passwords at once still locks the account for the right one", async () => {
    const { email, password } = await signUp();
    const locking = envWith({ SIGN_IN_MAX_FAILURES: "5" });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postJson("/api/auth/sign-in/email", { email, password: `guess ${i}` }, { headers: { "cf-connecting-ip": randomClientAddress() } }, locking),
      ),
    );
    expect((await signIn(email, password, locking)).response.status).toBe(401);
  });

  it("a burst of 20 guesses at once against a limit of 5 gets only 5 passwords tried", async () => {
    const { email } = await signUp();
    const locking = envWith({ SIGN_IN_MAX_FAILURES: "5" });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postJson("/api/auth/sign-in/email", { email, password: `guess ${i}` }, { headers: { "cf-connecting-ip": randomClientAddress() } }, locking),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(401));
    // Each password tried is one count; refused ones are not counted. Checking
    // first and counting after the hash lets every request of the burst through.
    const id = await failuresId(email);
    const row = (await withSql((sql) => sql.query(`select value from verification where id = $1`, [id]))).rows[0];
    expect(row.value).toBe("5");
  });

  it("sign-ins to two accounts at once keep their own counts: one account's successes never clear the other's failures", async () => {
    // The auth instance serves concurrent requests of an isolate; what a
    // sign-in remembers between its hooks (the count it took) is per request.
    const guessed = await signUp();
    const owner = await signUp();
    const counting = envWith({ SIGN_IN_MAX_FAILURES: "1000" });
    const send = (email: string, password: string) =>
      postJson("/api/auth/sign-in/email", { email, password }, { headers: { "cf-connecting-ip": randomClientAddress() } }, counting);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? send(guessed.email, `guess ${i}`) : send(owner.email, owner.password))),
    );
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 401 : 200)));
    const counts = await withSql(async (sql) => {
      const read = async (email: string) => (await sql.query(`select value from verification where id = $1`, [await failuresId(email)])).rows[0]?.value;
      return { guessed: await read(guessed.email), owner: await read(owner.email) };
    });
    expect(counts).toEqual({ guessed: "10", owner: undefined });
  });

  it("simultaneous sign-ups for one pending address leave exactly one registration and no 5xx", async () => {
    const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
    const email = uniqueEmail("race");
    await postJson("/api/auth/sign-up/email", { email, password: "first password 123", name: "A" }, {}, verifying);
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => postJson("/api/auth/sign-up/email", { email, password: `racing password ${i}`, name: "B" }, {}, verifying)),
    );
    for (const response of answers) expect(response.status).toBeLessThan(500);
    const rows = await withSql((sql) => sql.query(`select count(*)::int as n from "user" where email = $1`, [email]));
    expect(rows.rows[0].n).toBe(1);
  });
});
