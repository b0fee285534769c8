// Logs: the new guards write no address, password or token to the Worker's logs.
import { afterEach, describe, expect, it, vi } from "vitest";
import { postJson, randomClientAddress, signUp, envWith } from "../helpers";
import { sessionTokenOf, signIn } from "./helpers";

function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("failed sign-ins up to a lock log neither the address nor the passwords tried", async () => {
    const { email, password } = await signUp();
    const lines = captureLogs();
    const locking = envWith({ SIGN_IN_MAX_FAILURES: "3" });
    for (let i = 0; i < 4; i++) {
      await postJson("/api/auth/sign-in/email", { email, password: `tried-password-${i}` }, { headers: { "cf-connecting-ip": randomClientAddress() } }, locking);
    }
    await signIn(email, password, locking);
    expect(lines.filter((l) => l.includes(email) || l.includes("tried-password") || l.includes(password))).toEqual([]);
  });

  it("a sign-in logs no session token, raw or hashed", async () => {
    const { email, password } = await signUp();
    const lines = captureLogs();
    const { cookie } = await signIn(email, password);
    const token = sessionTokenOf(cookie);
    expect(lines.filter((l) => l.includes(token))).toEqual([]);
  });

  it("a refused name is not written to the logs", async () => {
    const lines = captureLogs();
    await postJson("/api/auth/sign-up/email", { email: "logged@example.test", password: "correct horse battery staple", name: "Inject\r\nLog: forged" });
    expect(lines.filter((l) => l.includes("forged"))).toEqual([]);
  });
});
