// Passkeys through the Worker, for what needs no authenticator: challenges,
// who may register, listing and deleting only one's own, the rate limit. The
// ceremonies themselves run in Chromium with a virtual authenticator
// (test/e2e/journey.e2e.ts).
import { describe, expect, it } from "vitest";
import { call, postJson, randomClientAddress, signUp, withSql } from "./helpers";

/** A stored passkey row, as verify-registration would write it. */
async function storedPasskey(userId: string, name: string) {
  const id = crypto.randomUUID();
  await withSql((sql) =>
    sql.query(
      `insert into passkey (id, name, public_key, user_id, credential_id, counter, device_type, backed_up, transports, created_at)
       values ($1, $2, 'AAAA', $3, $4, 0, 'singleDevice', false, 'internal', now())`,
      [id, name, userId, crypto.randomUUID()],
    ),
  );
  return id;
}

const passkeyIds = (userId: string) =>
  withSql(async (sql) => (await sql.query(`select id from passkey where user_id = $1`, [userId])).rows.map((r) => r.id as string));

describe("passkeys: registration", () => {
  it("needs a signed-in session; a session gets options for this relying party", async () => {
    const anonymous = await call("/api/auth/passkey/generate-register-options");
    expect(anonymous.status).toBe(401);
    const verify = await postJson("/api/auth/passkey/verify-registration", { response: {} });
    expect(verify.status).toBe(401);

    const { cookie, email } = await signUp();
    const options = await call("/api/auth/passkey/generate-register-options", { headers: { cookie } });
    expect(options.status).toBe(200);
    const body = (await options.json()) as { rp: { id: string; name: string }; challenge: string; user: { name: string }; authenticatorSelection: { residentKey: string } };
    // AUTH_BASE_URL's host name (http://localhost:8787 in the tests).
    expect(body.rp).toEqual({ id: "localhost", name: "edge-auth" });
    expect(body.user.name).toBe(email);
    expect(body.challenge.length).toBeGreaterThan(20);
    expect(body.authenticatorSelection.residentKey).toBe("required");
    // The challenge's id travels in a signed cookie; its row is stored under a hash of it.
    const set = options.headers.getSetCookie().join("\n").match(/better-auth-passkey=([^;]+)/)!;
    const token = decodeURIComponent(set[1]!).split(".")[0]!;
    expect(token.length).toBe(32);
    const rows = await withSql(async (sql) => (await sql.query(`select identifier from verification where value like $1`, [`%${body.challenge}%`])).rows);
    expect(rows).toHaveLength(1);
    expect(rows[0].identifier).not.toBe(token);
  });

  it("refuses a registration answer without the challenge it was made for", async () => {
    const { cookie } = await signUp();
    const verify = await postJson("/api/auth/passkey/verify-registration", { response: { id: "x", response: {} } }, { headers: { cookie } });
    expect(verify.status).toBe(400);
    expect(await verify.json()).toMatchObject({ code: "CHALLENGE_NOT_FOUND" });
  });
});

describe("passkeys: signing in", () => {
  it("an assertion for a credential nobody registered signs nobody in", async () => {
    const options = await call("/api/auth/passkey/generate-authenticate-options");
    expect(options.status).toBe(200);
    const cookie = options.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const answer = await postJson(
      "/api/auth/passkey/verify-authentication",
      { response: { id: "bm90LWEta2V5", rawId: "bm90LWEta2V5", type: "public-key", response: {} } },
      { headers: { cookie } },
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.getSetCookie().join()).not.toMatch(/session_token=[^;]/);
  });
});

describe("passkeys: listing and deleting", () => {
  it("lists only your own passkeys, with names and dates", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const mine = await storedPasskey(alice.user.id, "Laptop");
    await storedPasskey(bob.user.id, "Bob's phone");
    expect((await call("/api/auth/passkey/list-user-passkeys")).status).toBe(401);
    const listed = await call("/api/auth/passkey/list-user-passkeys", { headers: { cookie: alice.cookie } });
    expect(listed.status).toBe(200);
    const rows = (await listed.json()) as { id: string; name: string; createdAt: string }[];
    expect(rows.map((r) => [r.id, r.name])).toEqual([[mine, "Laptop"]]);
    expect(Number.isNaN(Date.parse(rows[0]!.createdAt))).toBe(false);
  });

  it("deletes your own passkey and refuses someone else's", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const hers = await storedPasskey(alice.user.id, "Laptop");
    const his = await storedPasskey(bob.user.id, "Phone");

    const notYours = await postJson("/api/auth/passkey/delete-passkey", { id: his }, { headers: { cookie: alice.cookie } });
    expect(notYours.status).toBe(401);
    expect(await passkeyIds(bob.user.id)).toEqual([his]);
    expect((await postJson("/api/auth/passkey/delete-passkey", { id: hers })).status).toBe(401);

    const deleted = await postJson("/api/auth/passkey/delete-passkey", { id: hers }, { headers: { cookie: alice.cookie } });
    expect(deleted.status).toBe(200);
    expect(await passkeyIds(alice.user.id)).toEqual([]);
  });
});

describe("passkeys: rate limit", () => {
  it("limits challenges and assertions per client like the other credential endpoints", async () => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    const client = randomClientAddress();
    const challenges: number[] = [];
    for (let i = 0; i < 11; i++) {
      challenges.push((await call("/api/auth/passkey/generate-authenticate-options", { headers: { "cf-connecting-ip": client } })).status);
    }
    expect(challenges.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(challenges[10]).toBe(429);

    const assertions: number[] = [];
    for (let i = 0; i < 11; i++) {
      const answer = await postJson("/api/auth/passkey/verify-authentication", { response: { id: "x" } }, { headers: { "cf-connecting-ip": client } });
      assertions.push(answer.status);
    }
    expect(assertions.slice(0, 10)).toEqual(Array(10).fill(400));
    expect(assertions[10]).toBe(429);
  });
});
