// better-auth's official client, unchanged, against the Worker's fetch handler.
import { describe, expect, it } from "vitest";
import { createEdgeAuthClient } from "../src/client";
import type { Tier } from "../src/db/schema";
import { browserCookie, call, lastMailTo, ORIGIN, uniqueEmail } from "./helpers";

/** A client whose requests go through the Worker under test, keeping its cookies like a browser. */
function clientWithCookieJar() {
  let cookie = "";
  return createEdgeAuthClient(`${ORIGIN}/api`, {
    customFetchImpl: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = new Headers(init?.headers);
      if (cookie) headers.set("cookie", cookie);
      const response = await call(`${url.pathname}${url.search}`, { ...init, headers });
      // Merged by name, as a browser keeps them: a response that sets only
      // the session cache cookie leaves the session token in place.
      cookie = browserCookie(cookie, response);
      return response;
    },
  });
}

describe("the official better-auth client", () => {
  it("signs up and reads the session, with the tier typed", async () => {
    const client = clientWithCookieJar();
    const email = uniqueEmail("client");
    const signUp = await client.signUp.email({ email, password: "correct horse battery staple", name: "Client" });
    expect(signUp.error).toBeNull();

    const session = await client.getSession();
    expect(session.error).toBeNull();
    // Compiles only because inferAdditionalFields<Auth>() gives the client the tier's type.
    const tier: Tier = session.data!.user.tier;
    expect(tier).toBe("free");
    expect(session.data!.user.email).toBe(email);
  });

  it("signs up by emailed code through the emailOTP plugin's client", async () => {
    const client = clientWithCookieJar();
    const email = uniqueEmail("client-code");
    expect((await client.emailOtp.sendVerificationOtp({ email, type: "sign-in" })).error).toBeNull();
    const otp = /^\d{6}$/m.exec((await lastMailTo(email)).Text)![0];
    const result = await client.signIn.emailOtp({ email, otp });
    expect(result.error).toBeNull();
    expect((await client.getSession()).data!.user).toMatchObject({ email, tier: "free", twoFactorEnabled: false });
  });

  it("signs in anonymously through the anonymous plugin's client", async () => {
    const client = clientWithCookieJar();
    const result = await client.signIn.anonymous();
    expect(result.error).toBeNull();
    const session = await client.getSession();
    expect(session.data!.user.tier).toBe("anonymous");
    expect(session.data!.user.isAnonymous).toBe(true);
  });

  it("lists sessions without tokens and revokes one by id", async () => {
    const client = clientWithCookieJar();
    await client.signUp.email({ email: uniqueEmail("client-sessions"), password: "correct horse battery staple", name: "Client" });
    const listed = await client.listSessions();
    expect(listed.error).toBeNull();
    expect(listed.data).toHaveLength(1);
    expect(listed.data![0]).not.toHaveProperty("token");
    // Compiles only because sessionIdsClient() gives the client the endpoint's type.
    const revoked = await client.revokeSessionById({ id: listed.data![0]!.id });
    expect(revoked.data).toEqual({ status: true });
    expect((await client.getSession()).data).toBeNull();
  });
});
