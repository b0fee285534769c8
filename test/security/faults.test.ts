// Faults: with the database gone, the guards answer 503, never a lockout,
// a 500 or a half-done registration.
import { describe, expect, it } from "vitest";
import { downHyperdrive, envWith, postJson, signUp, uniqueEmail, withSql } from "../helpers";
import { expectNoStore } from "./helpers";

const down = envWith({ HYPERDRIVE: downHyperdrive() });

describe("faults", () => {
  it("sign-in with the database down is a 503, not an invalid-password answer", async () => {
    const { email, password } = await signUp();
    const response = await postJson("/api/auth/sign-in/email", { email, password }, {}, down);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: { code: "database_unavailable", message: expect.any(String) } });
    // The outage answer is not cached either: the next try must reach the Worker.
    expectNoStore(response);
  });

  it("sign-up with the database down is a 503 and creates nothing", async () => {
    const email = uniqueEmail("down");
    const response = await postJson("/api/auth/sign-up/email", { email, password: "correct horse battery staple", name: "D" }, {}, down);
    expect(response.status).toBe(503);
    expect((await withSql((sql) => sql.query(`select 1 from "user" where email = $1`, [email]))).rowCount).toBe(0);
  });

  it("a bad SIGN_IN_MAX_FAILURES is a config error naming the variable, not its value", async () => {
    const response = await postJson("/api/auth/sign-in/email", { email: uniqueEmail("cfg"), password: "x".repeat(12) }, {}, envWith({ SIGN_IN_MAX_FAILURES: "lots-9876" }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("SIGN_IN_MAX_FAILURES");
    expect(text).not.toContain("lots-9876");
  });

  it("a SIGN_IN_LOCKOUT longer than 15 minutes is refused by the config check", async () => {
    const response = await postJson("/api/auth/sign-in/email", { email: uniqueEmail("cfg"), password: "x".repeat(12) }, {}, envWith({ SIGN_IN_LOCKOUT: "1h" }));
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("SIGN_IN_LOCKOUT");
  });
});
