// argon2id through better-auth's sign-up and sign-in: PHC strings at the
// configured cost, stock better-auth scrypt hashes verified and replaced at
// sign-in, weaker argon2id upgraded, long passwords refused, config floors.
import { hashPassword as stockScryptHash } from "better-auth/crypto";
import { describe, expect, it } from "vitest";
import { hashArgon2id, parseArgon2id, verifyStored } from "../src/auth/password";
import { envWith, postJson, signUp, uniqueEmail, withSql } from "./helpers";

const POLICY = { memoryKib: 19456, iterations: 2, maxLength: 128 };

const storedHash = (userId: string) =>
  withSql(async (sql) => {
    const { rows } = await sql.query(`select password from account where user_id = $1 and provider_id = 'credential'`, [userId]);
    return rows[0].password as string;
  });

const setStoredHash = (userId: string, hash: string) =>
  withSql((sql) => sql.query(`update account set password = $1 where user_id = $2 and provider_id = 'credential'`, [hash, userId]));

const signIn = (email: string, password: string, workerEnv?: Env) => postJson("/api/auth/sign-in/email", { email, password }, {}, workerEnv);

describe("argon2id hashes", () => {
  it("verifies vectors made by an independent implementation (hash-wasm lineage), UTF-8 bytes included", async () => {
    const vectors: [string, string][] = [
      ["correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$oHOJ+uE7VuQ6MvVR16DTEA$rYImBRHQZH0h2DnUeWlpkTvFuf71fl8g4Tev625IAk0"],
      ["pässwörd-ünïcode-ééé", "$argon2id$v=19$m=19456,t=2,p=1$ZWRnZS1hdXRoLXNhbHQxNg$aRcTIXFp/XslG3mz48Pd1uBBTWYYGlziSdAWDp3D0v0"],
    ];
    for (const [password, hash] of vectors) {
      expect(await verifyStored(hash, password, POLICY)).toEqual({ ok: true, rehash: false });
      expect(await verifyStored(hash, `${password}!`, POLICY)).toEqual({ ok: false });
    }
    // The package's own wrapper passes the UTF-16 length as the byte length,
    // so a password sharing the first bytes would verify; ours does not.
    expect(await verifyStored(vectors[1]![1], "pässwörd-ünïcode-ééé".slice(0, 14), POLICY)).toEqual({ ok: false });
  });

  it("round-trips a PHC string with the configured parameters", async () => {
    const hash = hashArgon2id("a long enough passphrase", { ...POLICY, memoryKib: 20480, iterations: 3 });
    const parsed = parseArgon2id(hash);
    expect(parsed?.params).toEqual({ memoryKib: 20480, iterations: 3, parallelism: 1 });
    expect(parsed?.salt).toHaveLength(16);
    expect(parsed?.hash).toHaveLength(32);
    expect(await verifyStored(hash, "a long enough passphrase", POLICY)).toEqual({ ok: true, rehash: false });
    expect(parseArgon2id("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA")).toBeNull();
    expect(await verifyStored("not a hash", "x", POLICY)).toEqual({ ok: false });
  });
});

describe("sign-in with argon2id", () => {
  it("signs up with the configured parameters and signs in; a wrong password and an unknown email are refused alike", async () => {
    const workerEnv = envWith({ PASSWORD_HASH_MEMORY_KIB: "20480", PASSWORD_HASH_ITERATIONS: "3" });
    const email = uniqueEmail();
    const response = await postJson("/api/auth/sign-up/email", { email, password: "correct horse battery staple", name: "A" }, {}, workerEnv);
    expect(response.status).toBe(200);
    const { user } = (await response.json()) as { user: { id: string } };
    expect(await storedHash(user.id)).toMatch(/^\$argon2id\$v=19\$m=20480,t=3,p=1\$/);

    expect((await signIn(email, "correct horse battery staple", workerEnv)).status).toBe(200);
    const wrong = await signIn(email, "correct horse battery stapler", workerEnv);
    const unknown = await signIn(uniqueEmail("nobody"), "correct horse battery staple", workerEnv);
    for (const refused of [wrong, unknown]) {
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: "INVALID_EMAIL_OR_PASSWORD" });
    }
  });

  it("verifies a stock better-auth scrypt hash and replaces it with argon2id in the same request", async () => {
    const { email, password, user } = await signUp();
    const scrypt = await stockScryptHash(password);
    expect(scrypt).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
    await setStoredHash(user.id, scrypt);

    const wrong = await signIn(email, "not the password at all");
    expect(wrong.status).toBe(401);
    expect(await storedHash(user.id)).toBe(scrypt);

    expect((await signIn(email, password)).status).toBe(200);
    const upgraded = await storedHash(user.id);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyStored(upgraded, password, POLICY)).toEqual({ ok: true, rehash: false });
    expect((await signIn(email, password)).status).toBe(200);
    expect(await storedHash(user.id)).toBe(upgraded);
  });

  it("rehashes an argon2id hash whose parameters are below the configured ones", async () => {
    const { email, password, user } = await signUp();
    const weak = await storedHash(user.id);
    const stronger = envWith({ PASSWORD_HASH_ITERATIONS: "3" });

    expect((await signIn(email, "wrong password here", stronger)).status).toBe(401);
    expect(await storedHash(user.id)).toBe(weak);

    expect((await signIn(email, password, stronger)).status).toBe(200);
    expect(await storedHash(user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
  });

  it("refuses passwords over PASSWORD_MAX_LENGTH before hashing", async () => {
    const { email } = await signUp();
    for (const password of ["x".repeat(129), "x".repeat(60_000)]) {
      const response = await signIn(email, password);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: "PASSWORD_TOO_LONG" });
    }
    const signUpLong = await postJson("/api/auth/sign-up/email", { email: uniqueEmail(), password: "y".repeat(129), name: "L" });
    expect(signUpLong.status).toBe(400);
    // The hasher itself refuses too, for any other caller.
    expect(() => hashArgon2id("z".repeat(129), POLICY)).toThrow(/too long/i);
  });
});

describe("password hashing config", () => {
  it.each([
    ["PASSWORD_HASH_MEMORY_KIB", "4096", "PASSWORD_HASH_MEMORY_KIB must be a whole number from 19456 to 65536 (KiB; OWASP's minimum for argon2id is 19456)"],
    ["PASSWORD_HASH_ITERATIONS", "1", "PASSWORD_HASH_ITERATIONS must be a whole number from 2 to 10 (OWASP's minimum for argon2id at 19456 KiB is 2)"],
    ["PASSWORD_MAX_LENGTH", "100000", "PASSWORD_MAX_LENGTH must be a whole number from 16 to 1024"],
  ])("refuses %s=%s below OWASP's floor or out of range with config_invalid", async (name, value, message) => {
    const response = await postJson("/api/auth/sign-in/email", { email: uniqueEmail(), password: "whatever it is" }, {}, envWith({ [name]: value }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: "config_invalid", message } });
  });
});
