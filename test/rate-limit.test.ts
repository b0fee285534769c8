import { describe, expect, it } from "vitest";
import { clientKey } from "../src/middleware/rate-limit";
import { envWith, postJson, randomClientAddress, signUp } from "./helpers";

/** The limiter counts in windows of one wall-clock minute: start well inside one. */
async function atStartOfAWindow() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}

describe("rate limit on credential endpoints", () => {
  it("answers 429 after 10 attempts a minute from one client, per endpoint", async () => {
    const { email } = await signUp();
    const attacker = randomClientAddress();
    const attempt = (path: string, body: unknown, client = attacker) =>
      postJson(path, body, { headers: { "cf-connecting-ip": client } });

    await atStartOfAWindow();
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

  it("lets every attempt through with RATE_LIMITS=off (what npm run dev sets)", async () => {
    const { email } = await signUp();
    const client = randomClientAddress();
    const off = envWith({ RATE_LIMITS: "off" });
    await atStartOfAWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const response = await postJson("/api/auth/sign-in/email", { email, password: `guess number ${i}` }, { headers: { "cf-connecting-ip": client } }, off);
      statuses.push(response.status);
    }
    expect(statuses).toEqual(Array(15).fill(401));
  });

  it("counts an IPv6 client by its /64, so rotating addresses within it does not help", async () => {
    const { email } = await signUp();
    const prefix = `2001:db8:${crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16)}:1`;
    await atStartOfAWindow();
    const statuses: number[] = [];
    for (let i = 1; i <= 11; i++) {
      const response = await postJson(
        "/api/auth/sign-in/email",
        { email, password: `guess number ${i}` },
        { headers: { "cf-connecting-ip": `${prefix}::${i.toString(16)}` } },
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });
});

describe("clientKey", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002::9", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("%s → %s", (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
