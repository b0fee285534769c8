// Info leaks: answers with credentials or account data are never cached,
// and errors carry no internals.
import { describe, expect, it } from "vitest";
import { call, postJson, signUp, uniqueEmail } from "../helpers";
import { expectNoStore, makeAdmin } from "./helpers";

describe("info leaks", () => {
  it("sign-in, whose body holds the session token, is Cache-Control: no-store (finding 6)", async () => {
    const { email, password } = await signUp();
    const response = await postJson("/api/auth/sign-in/email", { email, password });
    expect(response.status).toBe(200);
    expectNoStore(response);
  });

  it("/api/me is no-store and varies by Cookie (finding 6)", async () => {
    const { cookie } = await signUp();
    const response = await call("/api/me", { headers: { cookie } });
    expect(response.status).toBe(200);
    expectNoStore(response);
    expect(response.headers.get("vary") ?? "").toMatch(/cookie/i);
  });

  it("every /api/auth answer is no-store, errors and sign-up included", async () => {
    const answers = await Promise.all([
      postJson("/api/auth/sign-up/email", { email: uniqueEmail("cache"), password: "correct horse battery staple", name: "C" }),
      postJson("/api/auth/sign-in/email", { email: uniqueEmail("cache-nobody"), password: "wrong password 0" }),
      call("/api/auth/get-session"),
      call("/api/auth/no-such-endpoint"),
    ]);
    for (const response of answers) expectNoStore(response);
  });

  it("the app's admin and tier routes are no-store and vary by Cookie", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const response = await call(`/api/admin/users/${admin.user.id}/tier`, { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    expectNoStore(response);
    expect(response.headers.get("vary") ?? "").toMatch(/cookie/i);
    expectNoStore(await call("/api/content/free", { headers: { cookie: admin.cookie } }));
  });

  it("a refused sign-up names the field but echoes none of the input", async () => {
    const name = "Secret\u0000Name";
    const response = await postJson("/api/auth/sign-up/email", { email: uniqueEmail("echo"), password: "correct horse battery staple", name });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain("Secret");
  });
});
