// Enumeration: nothing an unauthenticated caller sees tells whether an
// address has an account.
import { describe, expect, it } from "vitest";
import { envWith, openLink, lastMailTo, linkIn, postJson, uniqueEmail } from "../helpers";

const verifying = envWith({ REQUIRE_EMAIL_VERIFICATION: "true", EMAIL_RESEND_INTERVAL: "0" });
const PASSWORD = "correct horse battery staple";

async function signUpAnswer(email: string) {
  const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Same Name" }, {}, verifying);
  return { status: response.status, body: (await response.json()) as { token: unknown; user: Record<string, unknown> } };
}

/** The answer with what legitimately differs (the echoed email, the fresh id and timestamps) taken out. */
function comparable(answer: Awaited<ReturnType<typeof signUpAnswer>>) {
  const { email: _e, id: _i, createdAt: _c, updatedAt: _u, ...rest } = answer.body.user;
  return { status: answer.status, keys: Object.keys(answer.body).sort(), userKeys: Object.keys(answer.body.user).sort(), token: answer.body.token, rest };
}

describe("enumeration", () => {
  it("sign-up for a verified address answers key by key and value by value like a free one (finding 2)", async () => {
    const taken = uniqueEmail("enum-taken");
    await signUpAnswer(taken);
    await openLink(linkIn(await lastMailTo(taken), "/verify-email"), {}, verifying);
    const fresh = await signUpAnswer(uniqueEmail("enum-free"));
    const again = await signUpAnswer(taken);
    expect(comparable(again)).toEqual(comparable(fresh));
    // Every key of the user, one by one, so a plugin's new field shows up here by name.
    for (const key of Object.keys(fresh.body.user)) {
      if (["email", "id", "createdAt", "updatedAt"].includes(key)) continue;
      expect([key, again.body.user[key]]).toEqual([key, fresh.body.user[key]]);
    }
  });

  it("sign-up for a pending (unverified) address answers like a free one", async () => {
    const pending = uniqueEmail("enum-pending");
    await signUpAnswer(pending);
    expect(comparable(await signUpAnswer(pending))).toEqual(comparable(await signUpAnswer(uniqueEmail("enum-free"))));
  });

  it("sign-in with an unknown address answers exactly like a wrong password", async () => {
    const known = uniqueEmail("enum-known");
    await signUpAnswer(known);
    const wrong = await postJson("/api/auth/sign-in/email", { email: known, password: "wrong password 000" }, {}, verifying);
    const unknown = await postJson("/api/auth/sign-in/email", { email: uniqueEmail("enum-nobody"), password: "wrong password 000" }, {}, verifying);
    expect(unknown.status).toBe(wrong.status);
    expect(await unknown.json()).toEqual(await wrong.json());
  });

  it("request-password-reset answers alike for a known and an unknown address", async () => {
    const known = uniqueEmail("enum-reset");
    await signUpAnswer(known);
    const ask = (email: string) => postJson("/api/auth/request-password-reset", { email, redirectTo: "/reset" }, {}, verifying);
    const a = await ask(known);
    const b = await ask(uniqueEmail("enum-reset-nobody"));
    expect([a.status, await a.json()]).toEqual([b.status, await b.json()]);
  });

  it("send-verification-email answers alike for a pending and an unknown address", async () => {
    const pending = uniqueEmail("enum-resend");
    await signUpAnswer(pending);
    const ask = (email: string) => postJson("/api/auth/send-verification-email", { email }, {}, verifying);
    const a = await ask(pending);
    const b = await ask(uniqueEmail("enum-resend-nobody"));
    expect([a.status, await a.json()]).toEqual([b.status, await b.json()]);
  });
});
