// Logs: a mailed reset link must not put its token where request logs look
// (the path and the query: wrangler's request log, Workers Logs). It rides in
// the URL fragment, which browsers never send; the page posts it in a body.
import { describe, expect, it } from "vitest";
import { call, lastMailTo, ORIGIN, postJson, signUp } from "../helpers";

const NEW_PASSWORD = "a brand new passphrase 42";

/** Every link in a mail, from its text and its HTML. */
function linksIn(mail: { Text: string; HTML: string }): URL[] {
  const raw = [...(mail.Text.match(/https?:\/\/\S+/g) ?? []), ...[...mail.HTML.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&#38;/g, "&"))];
  return raw.map((link) => new URL(link));
}

/** What a request log records of a link the browser opens: everything but the fragment. */
const logged = (link: URL) => `${link.pathname}${link.search}`;

async function resetLinks(body: Record<string, unknown>) {
  const { email, password } = await signUp();
  expect((await postJson("/api/auth/request-password-reset", { email, ...body })).status).toBe(200);
  const mail = await lastMailTo(email);
  expect(mail.Subject).toBe("Reset your password");
  const links = linksIn(mail);
  expect(links.length).toBeGreaterThan(0);
  const token = new URLSearchParams(links[0]!.hash.slice(1)).get("token");
  expect(token).toBeTruthy();
  return { email, password, links, token: token! };
}

describe("logs: reset links", () => {
  it("keeps the reset token out of the path and query of every link in the mail", async () => {
    const { links, token } = await resetLinks({});
    for (const link of links) {
      expect(logged(link)).not.toContain(token);
      expect(link.hash).toBe(`#token=${token}`);
    }
  });

  it("links to the reset page when the client names no redirectTo, and the page posts the token", async () => {
    const { email, password, links, token } = await resetLinks({});
    const link = links[0]!;
    expect(`${link.origin}${logged(link)}`).toBe(`${ORIGIN}/reset-password`);
    // What the browser requests when the link is opened: no token in it.
    const opened = await call(logged(link));
    expect(opened.status).toBe(200);
    expect(opened.headers.get("cache-control")).toBe("no-store");
    const html = await opened.text();
    expect(html).toContain('action="/reset-password"');
    expect(html).not.toContain(token);
    // The page's form posts the token (from the fragment) in its body.
    const reset = await call("/reset-password", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, newPassword: NEW_PASSWORD }),
    });
    expect(reset.status).toBe(303);
    expect(reset.headers.get("location")).toBe("/sign-in?done=password-reset");
    expect((await postJson("/api/auth/sign-in/email", { email, password })).status).toBe(401);
    expect((await postJson("/api/auth/sign-in/email", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("sends a client's own redirectTo the token in the fragment too, never in its query", async () => {
    const { links, token } = await resetLinks({ redirectTo: `${ORIGIN}/app/reset?from=mail` });
    const link = links[0]!;
    expect(logged(link)).toBe("/app/reset?from=mail");
    expect(link.hash).toBe(`#token=${token}`);
  });
});
