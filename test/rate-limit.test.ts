import { describe, expect, it } from "vitest";
import { postJson, randomClientAddress, signUp } from "./helpers";

describe("rate limit on credential endpoints", () => {
  it("answers 429 after 10 attempts a minute from one client, per endpoint", async () => {
    const { email } = await signUp();
    const attacker = randomClientAddress();
    const attempt = (path: string, body: unknown, client = attacker) =>
      postJson(path, body, { headers: { "cf-connecting-ip": client } });

    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await attempt("/api/auth/sign-in/email", { email, password: `guess number ${i}` })).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);

    const limited = await attempt("/api/auth/sign-in/email", { email, password: "correct horse battery staple" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(await limited.json()).toEqual({ code: "TOO_MANY_REQUESTS", message: expect.any(String) });

    // Another client, and another endpoint for the same client, are not affected.
    const other = await attempt("/api/auth/sign-in/email", { email, password: "correct horse battery staple" }, randomClientAddress());
    expect(other.status).toBe(200);
    const reset = await attempt("/api/auth/request-password-reset", { email, redirectTo: "/reset" });
    expect(reset.status).toBe(200);
  });
});
