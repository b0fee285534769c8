// The session cookie cache: protected routes answered from a fresh, signed
// cache cookie without better-auth and without a database connection (counted
// on the wire by a proxy in front of PostgreSQL), the fallback that re-issues
// it, what is not trusted, and when a change is seen.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  browserCookie,
  call,
  cookiesFrom,
  countedEnv,
  envWith,
  postJson,
  SESSION_CACHE_COOKIE,
  signUp,
  withoutSessionCache,
  withSql,
} from "./helpers";

const b64url = (binary: string) => btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const get = (path: string, cookie: string, workerEnv?: Env) => call(path, { headers: { cookie } }, workerEnv);
const cacheCookieIn = (cookie: string) => cookie.split("; ").find((pair) => pair.startsWith(`${SESSION_CACHE_COOKIE}=`));

async function signInAgain(email: string, password: string) {
  const response = await postJson("/api/auth/sign-in/email", { email, password });
  expect(response.status).toBe(200);
  return cookiesFrom(response);
}

describe("protected routes from the cache cookie", () => {
  it("answers /api/me and get-session from a fresh cache cookie with no connection and no statement", async () => {
    const { user, browserCookie: cookie } = await signUp();
    expect(cacheCookieIn(cookie)).toBeDefined();
    const { workerEnv, counts } = await countedEnv();

    const me = await get("/api/me", cookie, workerEnv);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.id, tier: "free" });
    const session = await get("/api/auth/get-session", cookie, workerEnv);
    expect(await session.json()).toMatchObject({ user: { id: user.id } });
    expect(await counts()).toEqual({ connections: 0, statements: 0 });

    // The same route without the cache cookie does reach the database, on this proxy.
    const fromDatabase = await get("/api/me", withoutSessionCache(cookie), workerEnv);
    expect(fromDatabase.status).toBe(200);
    const after = await counts();
    expect(after.connections).toBe(1);
    expect(after.statements).toBeGreaterThan(0);
  });

  it("falls back to the database without a cache cookie and re-issues it on the response", async () => {
    const { user, cookie } = await signUp();
    const response = await get("/api/me", cookie);
    expect(response.status).toBe(200);
    const next = browserCookie(cookie, response);
    expect(cacheCookieIn(next)).toBeDefined();

    const { workerEnv, counts } = await countedEnv();
    expect(await (await get("/api/me", next, workerEnv)).json()).toMatchObject({ id: user.id });
    expect(await counts()).toEqual({ connections: 0, statements: 0 });
  });

  it("does not trust a tampered cache cookie", async () => {
    const { browserCookie: cookie } = await signUp();
    const cache = cacheCookieIn(cookie)!;
    const value = cache.slice(SESSION_CACHE_COOKIE.length + 1);
    const decoded = JSON.parse(atob(value.replace(/-/g, "+").replace(/_/g, "/"))) as { session: { user: { tier: string } } };
    decoded.session.user.tier = "member";
    const forged = btoa(JSON.stringify(decoded)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const tampered = cookie.replace(cache, `${SESSION_CACHE_COOKIE}=${forged}`);

    const { workerEnv, counts } = await countedEnv();
    const response = await get("/api/content/member", tampered, workerEnv);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "tier_required", current: "free" } });
    expect((await counts()).statements).toBeGreaterThan(0);
  });

  it("does not trust a cache cookie past its own expiry: the database answers and re-issues it", async () => {
    const shortCache = { SESSION_CACHE_MAX_AGE: "1" };
    const { email, password } = await signUp();
    const signedIn = await postJson("/api/auth/sign-in/email", { email, password }, {}, envWith(shortCache));
    const cookie = cookiesFrom(signedIn);
    expect(cacheCookieIn(cookie)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    const { workerEnv, counts } = await countedEnv(shortCache);
    const response = await get("/api/me", cookie, workerEnv);
    expect(response.status).toBe(200);
    expect((await counts()).statements).toBeGreaterThan(0);
    expect(cacheCookieIn(browserCookie(cookie, response))).not.toBe(cacheCookieIn(cookie));
  });

  it("does not trust a fresh cache cookie next to a session-token cookie whose signature is not APP_SECRET's", async () => {
    const { browserCookie: cookie } = await signUp();
    // Same token, signature flipped in its first character.
    const forged = cookie.replace(/(better-auth\.session_token=[^;.]*(?:\.|%2E))([A-Za-z0-9%])/i, (_, head: string, first: string) => `${head}${first === "A" ? "B" : "A"}`);
    expect(forged).not.toBe(cookie);

    const { workerEnv, counts } = await countedEnv();
    expect((await get("/api/me", forged, workerEnv)).status).toBe(401);
  });

  it("does not trust a cache cookie that belongs to another session", async () => {
    const alice = await signUp();
    const bob = await signUp();
    await withSql((sql) => sql.query(`update "user" set tier = 'member' where id = $1`, [bob.user.id]));
    const bobFresh = cookiesFrom(await get("/api/me", bob.cookie));
    // Alice's session token next to Bob's (valid, signed, member-tier) cache cookie.
    const mixed = `${withoutSessionCache(alice.cookie)}; ${cacheCookieIn(bobFresh)!}`;

    const me = await get("/api/me", mixed);
    expect(await me.json()).toMatchObject({ id: alice.user.id, tier: "free" });
    expect((await get("/api/content/member", mixed)).status).toBe(403);
  });

  it("binds a cache whose session carries the SHA-256 of the token (the stored form) to that token only", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const rawOf = (cookie: string) => decodeURIComponent(cookie.split("better-auth.session_token=")[1]!.split(";")[0]!).split(".")[0]!;
    const sha256 = async (text: string) =>
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))), (b) => b.toString(16).padStart(2, "0")).join("");
    // Alice's own cache cookie, re-signed (as better-auth signs it) with her token's hash in place of the token.
    const withToken = async (token: string) => {
      const value = cacheCookieIn(alice.browserCookie)!.slice(SESSION_CACHE_COOKIE.length + 1);
      const decoded = JSON.parse(atob(value.replace(/-/g, "+").replace(/_/g, "/"))) as {
        session: { session: { token: string } };
        expiresAt: number;
        signature: string;
      };
      decoded.session.session.token = token;
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(env.APP_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(JSON.stringify({ ...decoded.session, expiresAt: decoded.expiresAt })));
      decoded.signature = b64url(String.fromCharCode(...new Uint8Array(mac)));
      return `${SESSION_CACHE_COOKIE}=${b64url(JSON.stringify(decoded))}`;
    };
    const { workerEnv, counts } = await countedEnv();
    const hashed = `${alice.cookie}; ${await withToken(await sha256(rawOf(alice.cookie)))}`;
    expect(await (await get("/api/me", hashed, workerEnv)).json()).toMatchObject({ id: alice.user.id });
    expect(await counts()).toEqual({ connections: 0, statements: 0 });

    // The same cache bound to Bob's token hash, sent with Alice's token: not trusted.
    const foreign = `${alice.cookie}; ${await withToken(await sha256(rawOf(bob.cookie)))}`;
    expect(await (await get("/api/me", foreign, workerEnv)).json()).toMatchObject({ id: alice.user.id });
    expect((await counts()).statements).toBeGreaterThan(0);
  });

  it("works with the __Secure- cookies of an https deployment", async () => {
    const origin = "https://auth.example.test";
    const https = { AUTH_BASE_URL: `${origin}/api` };
    const email = (await signUp()).email;
    const signedIn = await postJson("/api/auth/sign-in/email", { email, password: "correct horse battery staple" }, { headers: { origin } }, envWith(https));
    expect(signedIn.status).toBe(200);
    const cookie = cookiesFrom(signedIn);
    expect(cookie).toMatch(/__Secure-better-auth\.session_data=/);
    const { workerEnv, counts } = await countedEnv(https);
    const me = await call("/api/me", { headers: { cookie, origin } }, workerEnv);
    expect(me.status).toBe(200);
    expect(await counts()).toEqual({ connections: 0, statements: 0 });
  });

  it("is off with SESSION_CACHE_MAX_AGE=0: no cache cookie, every request reads the database", async () => {
    const off = envWith({ SESSION_CACHE_MAX_AGE: "0" });
    const response = await postJson("/api/auth/sign-in/email", { email: (await signUp()).email, password: "correct horse battery staple" }, {}, off);
    expect(response.status).toBe(200);
    expect(cacheCookieIn(cookiesFrom(response))).toBeUndefined();
  });
});

describe("changes in the requesting browser count at once", () => {
  it("sign-out: the next request is a 401", async () => {
    const { browserCookie: cookie } = await signUp();
    const out = await call("/api/auth/sign-out", { method: "POST", headers: { cookie } });
    expect(out.status).toBe(200);
    const next = browserCookie(cookie, out);
    expect(cacheCookieIn(next)).toBeUndefined();
    expect((await get("/api/me", next)).status).toBe(401);
  });

  it("revoke-session of its own token and revoke-sessions: the next request is a 401", async () => {
    for (const path of ["/api/auth/revoke-session", "/api/auth/revoke-sessions"]) {
      const { browserCookie: cookie, token } = await signUp();
      const response = await postJson(path, path.endsWith("revoke-session") ? { token } : {}, { headers: { cookie } });
      expect(response.status).toBe(200);
      const next = browserCookie(cookie, response);
      expect(cacheCookieIn(next)).toBeUndefined();
      expect((await get("/api/me", next)).status).toBe(401);
    }
  });

  it("revoke-other-sessions, change-password and update-user replace or drop this browser's cache", async () => {
    const { email, password, browserCookie: cookie } = await signUp();
    const other = await signInAgain(email, password);
    const revoke = await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie } });
    expect(revoke.status).toBe(200);
    let next = browserCookie(cookie, revoke);
    expect((await get("/api/me", next)).status).toBe(200);
    expect((await get("/api/me", withoutSessionCache(other))).status).toBe(401);

    const renamed = await postJson("/api/auth/update-user", { name: "Renamed" }, { headers: { cookie: next } });
    expect(renamed.status).toBe(200);
    next = browserCookie(next, renamed);
    expect(await (await get("/api/me", next)).json()).toMatchObject({ name: "Renamed" });

    const changed = await postJson(
      "/api/auth/change-password",
      { currentPassword: password, newPassword: "another long passphrase" },
      { headers: { cookie: next } },
    );
    expect(changed.status).toBe(200);
    const old = next;
    next = browserCookie(next, changed);
    expect(cacheCookieIn(next)).not.toBe(cacheCookieIn(old));
    expect((await get("/api/me", next)).status).toBe(200);
  });

  it("delete-user: the next request is a 401", async () => {
    const fresh = envWith({ DELETE_ACCOUNT_CONFIRMATION: "fresh-session" });
    const { browserCookie: cookie } = await signUp();
    const deleted = await postJson("/api/auth/delete-user", {}, { headers: { cookie } }, fresh);
    expect(deleted.status).toBe(200);
    expect((await get("/api/me", browserCookie(cookie, deleted), fresh)).status).toBe(401);
  });

  it("an admin's tier change drops the admin's own cache cookie", async () => {
    const admin = await signUp();
    await withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [admin.user.id]));
    const adminCookie = browserCookie(admin.cookie, await get("/api/me", admin.cookie));
    expect(cacheCookieIn(adminCookie)).toBeDefined();
    const response = await call(`/api/admin/users/${admin.user.id}/tier`, {
      method: "PUT",
      headers: { cookie: adminCookie, "content-type": "application/json" },
      body: JSON.stringify({ tier: "member" }),
    });
    expect(response.status).toBe(200);
    const next = browserCookie(adminCookie, response);
    expect(cacheCookieIn(next)).toBeUndefined();
    expect(await (await get("/api/me", next)).json()).toMatchObject({ tier: "member" });
  });

  it("better-auth's admin endpoints drop the caller's cache cookie (here: an admin changing their own role)", async () => {
    const admin = await signUp();
    await withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [admin.user.id]));
    const cookie = browserCookie(admin.cookie, await get("/api/auth/get-session", admin.cookie));
    expect(await (await get("/api/auth/get-session", cookie)).json()).toMatchObject({ user: { role: "admin" } });
    const demoted = await postJson("/api/auth/admin/set-role", { userId: admin.user.id, role: "user" }, { headers: { cookie } });
    expect(demoted.status).toBe(200);
    const next = browserCookie(cookie, demoted);
    expect(cacheCookieIn(next)).toBeUndefined();
    expect(await (await get("/api/auth/get-session", next)).json()).toMatchObject({ user: { role: "user" } });
  });
});

describe("changes made elsewhere", () => {
  it("a revocation from another browser: fresh routes see it at once, others within SESSION_CACHE_MAX_AGE", async () => {
    const short = envWith({ SESSION_CACHE_MAX_AGE: "1s" });
    const { email, password, user } = await signUp();
    await withSql((sql) => sql.query(`update "user" set role = 'admin' where id = $1`, [user.id]));
    const signIn = async () => cookiesFrom(await postJson("/api/auth/sign-in/email", { email, password }, {}, short));
    const phone = await signIn();
    const laptop = await signIn();
    expect((await get(`/api/admin/users/${user.id}/tier`, phone, short)).status).toBe(200);

    const revoked = await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie: laptop } }, short);
    expect(revoked.status).toBe(200);

    // requireAuth({ fresh: true }): at once.
    expect((await get(`/api/admin/users/${user.id}/tier`, phone, short)).status).toBe(401);
    // requireAuth(): the phone's cache cookie still answers, until it expires.
    expect((await get("/api/me", phone, short)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await get("/api/me", phone, short)).status).toBe(401);
  });
});

describe("account data a revoked session's cache cookie cannot read", () => {
  it("list-sessions asks the database: a session revoked from another browser gets 401 at once", async () => {
    const { email, password } = await signUp();
    const signIn = async () => cookiesFrom(await postJson("/api/auth/sign-in/email", { email, password }));
    const phone = await signIn();
    const laptop = await signIn();
    expect((await get("/api/auth/list-sessions", phone)).status).toBe(200);
    expect((await postJson("/api/auth/revoke-other-sessions", {}, { headers: { cookie: laptop } })).status).toBe(200);
    // The phone's cache cookie still vouches for /api/me within the window ...
    expect((await get("/api/me", phone)).status).toBe(200);
    // ... but not for the list of the account's sessions (addresses, devices).
    expect((await get("/api/auth/list-sessions", phone)).status).toBe(401);
  });
});

describe("bearer tokens", () => {
  it("a bearer session token works on /api/me without cookies, and a revoked one does not", async () => {
    const { token, user, cookie } = await signUp();
    const bearer = { authorization: `Bearer ${token}` };
    const me = await call("/api/me", { headers: { ...bearer, origin: "" } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: user.id });
    expect((await call("/api/content/member", { headers: bearer })).status).toBe(403);

    expect((await postJson("/api/auth/revoke-sessions", {}, { headers: { cookie } })).status).toBe(200);
    expect((await call("/api/me", { headers: bearer })).status).toBe(401);
  });
});
