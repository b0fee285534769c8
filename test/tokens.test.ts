// JWTs for other services: GET /api/auth/token, verified by jose against
// GET /api/auth/jwks exactly as the README's other Worker does it.
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { call, envWith, ORIGIN, signUp, withSql } from "./helpers";

/** jose's remote key set, fetched through this Worker's fetch handler. */
function remoteKeys(workerEnv?: Env) {
  return createRemoteJWKSet(new URL("/api/auth/jwks", ORIGIN), {
    [customFetch]: (url: string) => call(new URL(url).pathname, {}, workerEnv),
  });
}

async function tokenFor(cookie: string, workerEnv?: Env) {
  const response = await call("/api/auth/token", { headers: { cookie } }, workerEnv);
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

describe("JWTs from /api/auth/token", () => {
  it("verify against /api/auth/jwks with issuer and audience, and carry sub, email, tier and role", async () => {
    const { user, email, cookie } = await signUp();
    const token = await tokenFor(cookie);
    const { payload, protectedHeader } = await jwtVerify(token, remoteKeys(), { issuer: ORIGIN, audience: ORIGIN });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload).toMatchObject({ sub: user.id, email, tier: "free", role: "user" });
    // The default lifetime: 15 minutes.
    expect(payload.exp! - payload.iat!).toBe(15 * 60);
  });

  it("are refused once expired, with another issuer or audience, or altered", async () => {
    const short = envWith({ JWT_EXPIRES_IN: "1m" });
    const { cookie } = await signUp();
    const token = await tokenFor(cookie, short);
    const keys = remoteKeys(short);
    await expect(jwtVerify(token, keys, { issuer: ORIGIN, audience: ORIGIN })).resolves.toBeDefined();
    await expect(
      jwtVerify(token, keys, { issuer: ORIGIN, audience: ORIGIN, currentDate: new Date(Date.now() + 61_000) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(jwtVerify(token, keys, { issuer: "https://evil.example", audience: ORIGIN })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    );
    await expect(jwtVerify(token, keys, { issuer: ORIGIN, audience: "https://other.example" })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    );
    const [header, body, signature] = token.split(".");
    const claims = JSON.parse(atob(body!.replace(/-/g, "+").replace(/_/g, "/")));
    const altered = btoa(JSON.stringify({ ...claims, tier: "member" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    await expect(jwtVerify(`${header}.${altered}.${signature}`, keys)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it("need a session, and the signing key's private half is stored encrypted", async () => {
    expect((await call("/api/auth/token")).status).toBe(401);
    const { cookie } = await signUp();
    await tokenFor(cookie);
    const rows = await withSql(async (sql) => (await sql.query(`select public_key, private_key from jwks`)).rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(JSON.parse(row.public_key)).toMatchObject({ kty: "OKP", crv: "Ed25519" });
      expect(row.private_key).not.toContain('"d"');
    }
  });
});
