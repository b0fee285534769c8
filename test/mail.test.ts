// The mail path: both transports, sending after the response, and a failing
// provider that is logged (without the token) but never fails the request.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { composeMail, type MailKind } from "../src/mail/templates";
import worker from "../src/index";
import { envWith, mailCatcherUrl, mailsTo, ORIGIN, postJson, signUp, uniqueEmail } from "./helpers";

const PASSWORD = "correct horse battery staple";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Everything console.error was called with during `fn`, one string per call. */
async function errorsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const errors: string[] = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(" "));
  });
  await fn();
  return errors;
}

describe("HTTP transport", () => {
  // The catcher accepts a message only with the bearer key the test setup gave the Worker.
  it("posts Resend's JSON with the bearer key", async () => {
    const email = uniqueEmail("http");
    const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Aitch" });
    expect(response.status).toBe(200);
    const [mail, ...others] = await mailsTo(email);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({
      From: { Name: "edge-auth tests", Address: "no-reply@edge-auth.test" },
      To: [{ Address: email }],
      Subject: "Verify your email address",
      Text: expect.stringContaining(`${ORIGIN}/api/auth/verify-email?token=`),
      HTML: expect.stringContaining("<html"),
    });
  });

  it("a refused key is logged by the provider's status alone, never the key", async () => {
    const email = uniqueEmail("badkey");
    const errors = await errorsDuring(async () => {
      const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "K" }, {}, envWith({ EMAIL_API_KEY: "re_wrong_key" }));
      expect(response.status).toBe(200);
    });
    expect(errors).toEqual(["mail_failed: verify-email via http: provider answered 403"]);
    expect(await mailsTo(email)).toEqual([]);
  });
});

describe("Cloudflare transport", () => {
  it("sends through the send_email binding with the configured From", async () => {
    const sent: unknown[] = [];
    const binding = { send: async (message: unknown) => void sent.push(message) } as unknown as SendEmail;
    const workerEnv = envWith({ EMAIL_TRANSPORT: "cloudflare", EMAIL: binding });
    const email = uniqueEmail("cf");
    const response = await postJson("/api/auth/sign-up/email", { email, password: PASSWORD, name: "Cee" }, {}, workerEnv);
    expect(response.status).toBe(200);
    expect(sent).toEqual([
      {
        from: "edge-auth tests <no-reply@edge-auth.test>",
        to: email,
        subject: "Verify your email address",
        text: expect.stringContaining(`${ORIGIN}/api/auth/verify-email?token=`),
        html: expect.stringContaining("<html"),
      },
    ]);
    expect(await mailsTo(email)).toEqual([]);
  });

  it("logs a binding failure by its code and still answers the request", async () => {
    const binding = {
      send: async () => {
        throw Object.assign(new Error("sender a@b.c not verified"), { code: "E_SENDER_NOT_VERIFIED" });
      },
    } as unknown as SendEmail;
    const workerEnv = envWith({ EMAIL_TRANSPORT: "cloudflare", EMAIL: binding });
    let status = 0;
    const errors = await errorsDuring(async () => {
      status = (await postJson("/api/auth/sign-up/email", { email: uniqueEmail("cf-fail"), password: PASSWORD, name: "C" }, {}, workerEnv))
        .status;
    });
    expect(status).toBe(200);
    expect(errors).toEqual(["mail_failed: verify-email via cloudflare: send_email failed (E_SENDER_NOT_VERIFIED)"]);
  });

  it("works with the simulated binding from wrangler.toml", async () => {
    const workerEnv = envWith({ EMAIL_TRANSPORT: "cloudflare" });
    const errors = await errorsDuring(async () => {
      const response = await postJson("/api/auth/sign-up/email", { email: uniqueEmail("cf-sim"), password: PASSWORD, name: "S" }, {}, workerEnv);
      expect(response.status).toBe(200);
    });
    expect(errors.filter((e) => e.startsWith("mail_failed"))).toEqual([]);
  });
});

describe("a failing or slow provider", () => {
  it("a 500 from the provider is logged without the token and the request still succeeds", async () => {
    const failing = envWith({ EMAIL_API_URL: `${mailCatcherUrl()}/status/500` });
    const { email } = await signUp();
    let status = 0;
    let body = "";
    const errors = await errorsDuring(async () => {
      const response = await postJson("/api/auth/request-password-reset", { email }, {}, failing);
      status = response.status;
      body = await response.text();
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ status: true });
    expect(errors).toEqual(["mail_failed: reset-password via http: provider answered 500"]);
    expect(errors.join("\n")).not.toMatch(/token|reset-password\/|@/);
    expect((await mailsTo(email)).filter((m) => m.Subject === "Reset your password")).toEqual([]);
  });

  it("an unreachable provider is logged the same way", async () => {
    const unreachable = envWith({ EMAIL_API_URL: "http://127.0.0.1:1" });
    const errors = await errorsDuring(async () => {
      const response = await postJson("/api/auth/sign-up/email", { email: uniqueEmail("down"), password: PASSWORD, name: "D" }, {}, unreachable);
      expect(response.status).toBe(200);
    });
    expect(errors).toEqual(["mail_failed: verify-email via http: could not reach the provider"]);
  });

  it("the response does not wait for a slow provider: the mail lands after it, in waitUntil", async () => {
    const slow = envWith({ EMAIL_API_URL: `${mailCatcherUrl()}/delay/1500` });
    const email = uniqueEmail("slow");
    const ctx = createExecutionContext();
    const request = new Request(`${ORIGIN}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify({ email, password: PASSWORD, name: "Slow" }),
    });
    const response = await worker.fetch(request, slow, ctx);
    expect(response.status).toBe(200);
    expect(await mailsTo(email)).toEqual([]);
    await waitOnExecutionContext(ctx);
    expect(await mailsTo(email)).toHaveLength(1);
  });
});

describe("mail texts", () => {
  const kinds: MailKind[] = ["verify-email", "reset-password", "change-email", "delete-account", "magic-link"];

  it("a sign-in code mail shows the code in both versions and carries no link", () => {
    const mail = composeMail("sign-in-code", { to: "a@example.com", url: "", code: "042917", expiresIn: 600, site: "auth.example.com" });
    expect(mail.subject).toBe("Your sign-in code");
    expect(mail.text).toMatch(/^042917$/m);
    expect(mail.text).toContain("10 minutes");
    expect(mail.html).toContain(">042917</p>");
    expect(mail.text).not.toMatch(/https?:/);
    expect(mail.html).not.toContain("href=");
  });
  const url = "https://auth.example.com/api/auth/x?token=a&callbackURL=%2F<script>";

  it.each(kinds)("%s has a text and an HTML version with the same link", (kind) => {
    const mail = composeMail(kind, { to: "a@example.com", url, expiresIn: 3600, site: "auth.example.com" });
    expect(mail.to).toBe("a@example.com");
    expect(mail.subject).toMatch(/^[A-Z][a-z -]+$/);
    expect(mail.text).toContain(url);
    expect(mail.text).toContain("auth.example.com");
    expect(mail.text).toMatch(/1 hour/);
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain(`<title>${mail.subject}</title>`);
    // Escaped, never raw markup from the URL.
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("https://auth.example.com/api/auth/x?token=a&#38;callbackURL=%2F&#60;script&#62;");
  });
});
