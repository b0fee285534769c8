import { beforeAll, describe, expect, it } from "vitest";
import { call, cookiesFrom, envWith, postJson, signUp, uniqueEmail, withSql } from "./helpers";

type Actor = "none" | "anonymous" | "free" | "member" | "admin";
interface Signed {
  id: string;
  cookie: string;
}

async function signInAnonymously(): Promise<Signed> {
  const response = await call("/api/auth/sign-in/anonymous", { method: "POST" });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { user: { id: string } };
  return { id: body.user.id, cookie: cookiesFrom(response) };
}

async function signedUp(set: { tier?: string; role?: string } = {}): Promise<Signed> {
  const { user, cookie } = await signUp();
  if (set.tier) await withSql((sql) => sql.query(`update "user" set tier = $1 where id = $2`, [set.tier, user.id]));
  if (set.role) await withSql((sql) => sql.query(`update "user" set role = $1 where id = $2`, [set.role, user.id]));
  return { id: user.id, cookie };
}

function putJson(path: string, body: unknown, cookie?: string, workerEnv?: Env) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (cookie) headers.cookie = cookie;
  return call(path, { method: "PUT", headers, body: JSON.stringify(body) }, workerEnv);
}

const tierOf = (id: string) =>
  withSql(async (sql) => (await sql.query(`select tier from "user" where id = $1`, [id])).rows[0]?.tier as string | undefined);

describe("tier matrix", () => {
  const actors = {} as Record<Actor, Signed | undefined>;
  let target: Signed;

  beforeAll(async () => {
    actors.none = undefined;
    actors.anonymous = await signInAnonymously();
    actors.free = await signedUp();
    actors.member = await signedUp({ tier: "member" });
    actors.admin = await signedUp({ role: "admin" });
    target = await signedUp();
  });

  const get = (path: string, actor: Actor) =>
    call(path, actors[actor] ? { headers: { cookie: actors[actor]!.cookie } } : {});

  // [actor, /api/me, /api/content/free, /api/content/member, admin tier change]
  const matrix: [Actor, number, number, number, number][] = [
    ["none", 401, 401, 401, 401],
    ["anonymous", 200, 403, 403, 403],
    ["free", 200, 200, 403, 403],
    ["member", 200, 200, 200, 403],
    ["admin", 200, 200, 403, 200],
  ];

  it.each(matrix)("%s: me %i, free %i, member %i, tier change %i", async (actor, meStatus, freeStatus, memberStatus, adminStatus) => {
    const meResponse = await get("/api/me", actor);
    expect(meResponse.status).toBe(meStatus);
    const freeResponse = await get("/api/content/free", actor);
    expect(freeResponse.status).toBe(freeStatus);
    const memberResponse = await get("/api/content/member", actor);
    expect(memberResponse.status).toBe(memberStatus);
    const change = await putJson(`/api/admin/users/${target.id}/tier`, { tier: "free" }, actors[actor]?.cookie);
    expect(change.status).toBe(adminStatus);

    for (const response of [meResponse, freeResponse, memberResponse, change]) {
      const body = (await response.json()) as Record<string, any>;
      if (response.status === 401) expect(body.error.code).toBe("unauthenticated");
      if (response.status === 403 && response !== change) expect(body.error.code).toBe("tier_required");
      if (response.status === 403 && response === change) expect(body.error.code).toBe("admin_required");
      if (response === meResponse && response.status === 200) {
        expect(body.id).toBe(actors[actor]!.id);
        expect(body.tier).toBe(actor === "admin" ? "free" : actor);
      }
    }
  });

  it("tells a too-low tier which tier it needs and which it has", async () => {
    const response = await get("/api/content/member", "free");
    expect(await response.json()).toEqual({
      error: { code: "tier_required", message: "This route needs the member tier", required: "member", current: "free" },
    });
    const anonymous = await get("/api/content/free", "anonymous");
    expect(await anonymous.json()).toMatchObject({ error: { required: "free", current: "anonymous" } });
  });

  it("gives get-session the tier", async () => {
    const response = await get("/api/auth/get-session", "member");
    expect(await response.json()).toMatchObject({ user: { id: actors.member!.id, tier: "member" } });
  });
});

describe("tier changes", () => {
  it("take effect on the user's next request and are recorded with who and when", async () => {
    const admin = await signedUp({ role: "admin" });
    const user = await signedUp();
    const before = await call("/api/content/member", { headers: { cookie: user.cookie } });
    expect(before.status).toBe(403);

    const startedAt = Date.now();
    const change = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "member" }, admin.cookie);
    expect(change.status).toBe(200);
    expect(await change.json()).toMatchObject({ userId: user.id, tier: "member", previousTier: "free", changed: true, changedBy: admin.id });

    const after = await call("/api/content/member", { headers: { cookie: user.cookie } });
    expect(after.status).toBe(200);
    const session = await call("/api/auth/get-session", { headers: { cookie: user.cookie } });
    expect(await session.json()).toMatchObject({ user: { tier: "member" } });

    const audit = await withSql((sql) =>
      sql.query(`select from_tier, to_tier, changed_by, changed_at from tier_change where user_id = $1`, [user.id]),
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ from_tier: "free", to_tier: "member", changed_by: admin.id });
    expect(new Date(audit.rows[0].changed_at).getTime()).toBeGreaterThanOrEqual(startedAt - 5_000);

    const history = await call(`/api/admin/users/${user.id}/tier`, { headers: { cookie: admin.cookie } });
    expect(await history.json()).toMatchObject({ tier: "member", history: [{ fromTier: "free", toTier: "member", changedBy: admin.id }] });

    const down = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "free" }, admin.cookie);
    expect(down.status).toBe(200);
    expect((await call("/api/content/member", { headers: { cookie: user.cookie } })).status).toBe(403);
  });

  it("records nothing when the tier is already the requested one", async () => {
    const admin = await signedUp({ role: "admin" });
    const user = await signedUp();
    const change = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "free" }, admin.cookie);
    expect(await change.json()).toMatchObject({ changed: false, tier: "free", previousTier: "free" });
    const audit = await withSql((sql) => sql.query(`select count(*)::int as n from tier_change where user_id = $1`, [user.id]));
    expect(audit.rows[0].n).toBe(0);
  });

  it("refuses a bad tier, a malformed body and an unknown user", async () => {
    const admin = await signedUp({ role: "admin" });
    const user = await signedUp();
    const bad = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "gold" }, admin.cookie);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_body", message: expect.stringContaining("tier") } });

    const malformed = await call(`/api/admin/users/${user.id}/tier`, {
      method: "PUT",
      headers: { "content-type": "application/json", cookie: admin.cookie },
      body: '{"tier": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: "bad_request" } });

    const nul = await call(`/api/admin/users/%00/tier`, { headers: { cookie: admin.cookie } });
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({ error: { code: "bad_request" } });

    const unknown = await putJson(`/api/admin/users/no-such-user/tier`, { tier: "member" }, admin.cookie);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "user_not_found" } });
    expect(await tierOf(user.id)).toBe("free");
  });

  it("cannot be made through the admin plugin's update-user or create-user, which would skip the audit", async () => {
    const admin = await signedUp({ role: "admin" });
    const user = await signedUp();
    const update = await postJson("/api/auth/admin/update-user", { userId: user.id, data: { tier: "member" } }, { headers: { cookie: admin.cookie } });
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({ code: "TIER_CHANGE_NOT_ALLOWED_HERE" });
    expect(await tierOf(user.id)).toBe("free");

    const create = await postJson(
      "/api/auth/admin/create-user",
      { email: uniqueEmail("created"), password: "correct horse battery staple", name: "Made", data: { tier: "member" } },
      { headers: { cookie: admin.cookie } },
    );
    expect(create.status).toBe(400);

    // Other fields still go through the admin plugin.
    const rename = await postJson("/api/auth/admin/update-user", { userId: user.id, data: { name: "Renamed" } }, { headers: { cookie: admin.cookie } });
    expect(rename.status).toBe(200);
  });

  it("lets ADMIN_USER_IDS bootstrap an admin without a role", async () => {
    const boot = await signedUp();
    const user = await signedUp();
    const withoutConfig = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "member" }, boot.cookie);
    expect(withoutConfig.status).toBe(403);
    const configured = envWith({ ADMIN_USER_IDS: `someone-else, ${boot.id}` });
    const change = await putJson(`/api/admin/users/${user.id}/tier`, { tier: "member" }, boot.cookie, configured);
    expect(change.status).toBe(200);
    expect(await tierOf(user.id)).toBe("member");
  });
});

describe("tier escalation", () => {
  it("ignores a tier in the sign-up body", async () => {
    const response = await postJson("/api/auth/sign-up/email", {
      email: uniqueEmail("escalate"),
      password: "correct horse battery staple",
      name: "Mallory",
      tier: "member",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { id: string; tier: string } };
    expect(body.user.tier).toBe("free");
    expect(await tierOf(body.user.id)).toBe("free");
  });

  it("refuses a tier in the update-user body", async () => {
    const user = await signedUp();
    const response = await postJson("/api/auth/update-user", { name: "Mallory", tier: "member" }, { headers: { cookie: user.cookie } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "FIELD_NOT_ALLOWED" });
    expect(await tierOf(user.id)).toBe("free");
  });

  it("refuses a role in the update-user body", async () => {
    const user = await signedUp();
    const response = await postJson("/api/auth/update-user", { role: "admin" }, { headers: { cookie: user.cookie } });
    expect(response.status).toBe(400);
    const role = await withSql(async (sql) => (await sql.query(`select role from "user" where id = $1`, [user.id])).rows[0].role);
    expect(role).not.toBe("admin");
  });
});

describe("anonymous users", () => {
  it("start at the anonymous tier", async () => {
    const anon = await signInAnonymously();
    expect(await tierOf(anon.id)).toBe("anonymous");
    const me = await call("/api/me", { headers: { cookie: anon.cookie } });
    expect(await me.json()).toMatchObject({ id: anon.id, tier: "anonymous", isAnonymous: true });
  });

  it("become a new free user on sign-up, and the anonymous user is removed", async () => {
    const anon = await signInAnonymously();
    const email = uniqueEmail("upgrade");
    const response = await postJson(
      "/api/auth/sign-up/email",
      { email, password: "correct horse battery staple", name: "Upgraded" },
      { headers: { cookie: anon.cookie } },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: { id: string; tier: string } };
    expect(body.user.id).not.toBe(anon.id);
    expect(body.user.tier).toBe("free");

    const rows = await withSql((sql) =>
      sql.query(`select (select count(*)::int from "user" where id = $1) as users, (select count(*)::int from session where user_id = $1) as sessions`, [
        anon.id,
      ]),
    );
    expect(rows.rows[0]).toEqual({ users: 0, sessions: 0 });

    const me = await call("/api/me", { headers: { cookie: cookiesFrom(response) } });
    expect(await me.json()).toMatchObject({ id: body.user.id, email, tier: "free", isAnonymous: false });
  });
});
