// The whole account journey in Chromium against `npm run dev`: every step a
// person takes, through the pages only, with mail read from the dev catcher.
// axe-core audits each page; screenshots land in test-results/.
import path from "node:path";
import * as OTPAuth from "otpauth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { audit, launchChromium, linkFrom, RESULTS_DIR, saveAudits, startDev, waitForMail, type DevServer } from "./harness";

let dev: DevServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const foreignRequests: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  contexts.push(context);
  const page = await context.newPage();
  // Everything a page loads must come from the Worker itself. A request the
  // CSP stopped in the browser (failure "csp") never left it; any other
  // one to another host did, or tried to (it fails here, offline).
  const foreign = (url: string) => new URL(url).origin !== dev.url && !url.startsWith("data:");
  page.on("requestfinished", (request) => {
    if (foreign(request.url())) foreignRequests.push(`${request.url()} (finished)`);
  });
  page.on("requestfailed", (request) => {
    if (foreign(request.url()) && request.failure()?.errorText !== "csp") foreignRequests.push(`${request.url()} (${request.failure()?.errorText})`);
  });
  return page;
}

async function expectClean(page: Page, name: string) {
  const serious = await audit(page, name);
  expect(serious, `${name}: ${JSON.stringify(serious.map((v) => [v.id, v.help, v.nodes.map((n) => n.target)]))}`).toEqual([]);
}

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new passphrase 42";
const run = Date.now().toString(36);
const email = `journey-${run}@example.test`;
const newEmail = `journey-new-${run}@example.test`;

beforeAll(async () => {
  dev = await startDev();
  browser = await launchChromium();
});

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== "fail") return;
  // On failure: a screenshot of every open page.
  let n = 0;
  for (const context of contexts) {
    for (const page of context.pages()) {
      await page.screenshot({ path: path.join(RESULTS_DIR, `failure-${ctx.task.name.replace(/\W+/g, "-")}-${n++}.png`), fullPage: true }).catch(() => undefined);
    }
  }
});

afterAll(async () => {
  saveAudits();
  await browser?.close().catch(() => undefined);
  await dev?.stop();
});

describe("the account journey in a browser", () => {
  let main: Page;
  let second: Page;

  it("signs up, verifies from the mail, and lands signed in with tier free", async () => {
    main = await newPage();
    await main.goto(`${dev.url}/`);
    await expect.poll(() => main.title()).toContain("Sign in");
    await expectClean(main, "01-sign-in");
    await main.getByRole("link", { name: "Create an account" }).click();
    await main.waitForURL(`${dev.url}/sign-up`);
    await expectClean(main, "02-sign-up");
    await main.getByLabel("Name").fill("Journey User");
    await main.getByLabel("Email address").fill(email);
    await main.getByLabel("Password").fill(PASSWORD);
    await main.getByRole("button", { name: "Create account" }).click();
    await main.waitForURL(`${dev.url}/check-mail?for=sign-up`);
    await expectClean(main, "03-check-mail");

    const link = linkFrom(await waitForMail(dev.mailUrl, email, "Verify your email address"));
    await main.goto(link);
    await main.waitForURL(`${dev.url}/verified`);
    await expect.poll(() => main.getByRole("heading", { level: 1 }).textContent()).toBe("Your address is verified");
    await expectClean(main, "04-verified");
    await main.getByRole("link", { name: "Go to your account" }).click();
    await main.waitForURL(`${dev.url}/account`);
    expect(await main.getByTestId("tier").textContent()).toBe("free");
    expect(await main.getByTestId("email").textContent()).toBe(email);
    expect(await main.getByText("verified", { exact: true }).count()).toBe(1);
    await expectClean(main, "05-account");
  });

  it("signs in from a second browser, sees two sessions, and revokes the other", async () => {
    second = await newPage();
    await second.goto(`${dev.url}/sign-in`);
    await second.getByLabel("Email address").fill(email);
    await second.getByLabel("Password").fill(PASSWORD);
    await second.getByRole("button", { name: "Sign in", exact: true }).click();
    await second.waitForURL(`${dev.url}/account`);

    await main.reload();
    expect(await main.getByTestId("session").count()).toBe(2);
    await expectClean(main, "06-account-two-sessions");
    await main.getByTestId("session").getByRole("button", { name: /^Sign out/ }).click();
    await main.waitForURL(`${dev.url}/account?done=session-revoked`);
    expect(await main.getByTestId("session").count()).toBe(1);
    expect(await main.getByRole("status").textContent()).toBe("That device is signed out.");

    // The account page asks the database, so the revoked device is signed
    // out at once, its session cache cookie notwithstanding.
    await second.reload();
    await second.waitForURL(`${dev.url}/sign-in`);
  });

  it("resets a forgotten password from the mailed link; the old password fails, the new one works", async () => {
    await main.getByRole("button", { name: "Sign out" }).click();
    await main.waitForURL(`${dev.url}/sign-in?done=signed-out`);
    await main.getByRole("link", { name: "Forgot your password?" }).click();
    await main.waitForURL(`${dev.url}/forgot-password`);
    await expectClean(main, "07-forgot-password");
    await main.getByLabel("Email address").fill(email);
    await main.getByRole("button", { name: "Mail me a link" }).click();
    await main.waitForURL(`${dev.url}/check-mail?for=reset`);

    const link = linkFrom(await waitForMail(dev.mailUrl, email, "Reset your password"));
    expect(new URL(link).pathname).toBe("/reset-password");
    const requested: string[] = [];
    main.on("request", (r) => requested.push(r.url()));
    await main.goto(link);
    // The script moved the token from the fragment into the form and out of the address bar.
    await expect.poll(() => main.url()).toBe(`${dev.url}/reset-password`);
    await expectClean(main, "08-reset-password");
    await main.getByLabel("New password").fill(NEW_PASSWORD);
    await main.getByRole("button", { name: "Set new password" }).click();
    await main.waitForURL(`${dev.url}/sign-in?done=password-reset`);
    const token = new URLSearchParams(new URL(link).hash.slice(1)).get("token")!;
    expect(requested.filter((url) => url.includes(token))).toEqual([]);

    await main.getByLabel("Email address").fill(email);
    await main.getByLabel("Password").fill(PASSWORD);
    await main.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => main.getByRole("alert").first().textContent()).toContain("Wrong email address or password");
    await expectClean(main, "09-sign-in-error");
    await main.getByLabel("Password").fill(NEW_PASSWORD);
    await main.getByRole("button", { name: "Sign in", exact: true }).click();
    await main.waitForURL(`${dev.url}/account`);
  });

  it("changes the email address and confirms it from the mail", async () => {
    await main.getByLabel("New email address").fill(newEmail);
    await main.getByRole("button", { name: "Change email address" }).click();
    await main.waitForURL(`${dev.url}/check-mail?for=change-email`);
    const link = linkFrom(await waitForMail(dev.mailUrl, newEmail, "Confirm your new email address"));
    await main.goto(link);
    await main.waitForURL(`${dev.url}/verified?change=email`);
    await expectClean(main, "10-email-changed");
    await main.goto(`${dev.url}/account`);
    expect(await main.getByTestId("email").textContent()).toBe(newEmail);
  });

  it("deletes the account after confirming from the mail: signed out and gone", async () => {
    await main.getByRole("button", { name: "Delete my account" }).click();
    // Unticked: the error is tied to the checkbox.
    await expect.poll(() => main.locator("#delete-confirm-error").textContent()).toBe("Tick the box to confirm.");
    await main.getByLabel("I want to delete my account").check();
    await main.getByRole("button", { name: "Delete my account" }).click();
    await main.waitForURL(`${dev.url}/check-mail?for=delete-account`);
    const link = linkFrom(await waitForMail(dev.mailUrl, newEmail, "Confirm deleting your account"));
    await main.goto(link);
    await main.waitForURL(`${dev.url}/goodbye`);
    await expectClean(main, "11-goodbye");
    await main.goto(`${dev.url}/account`);
    await main.waitForURL(`${dev.url}/sign-in`);
    await main.getByLabel("Email address").fill(newEmail);
    await main.getByLabel("Password").fill(NEW_PASSWORD);
    await main.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => main.getByRole("alert").first().textContent()).toContain("Wrong email address or password");
  });

  const upgraded = `upgraded-${run}@example.test`;

  it("tries without an account, then upgrades it to a real one", async () => {
    const page = await newPage();
    await page.goto(`${dev.url}/`);
    await page.getByRole("button", { name: "Try without an account" }).click();
    await page.waitForURL(`${dev.url}/account`);
    expect(await page.getByTestId("tier").textContent()).toBe("anonymous");
    await expectClean(page, "12-anonymous-account");
    await page.getByLabel("Name").fill("Upgraded");
    await page.getByLabel("Email address").fill(upgraded);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${dev.url}/check-mail?for=sign-up`);
    await page.goto(linkFrom(await waitForMail(dev.mailUrl, upgraded, "Verify your email address")));
    await page.waitForURL(`${dev.url}/verified`);
    await page.goto(`${dev.url}/account`);
    expect(await page.getByTestId("tier").textContent()).toBe("free");
    expect(await page.getByTestId("email").textContent()).toBe(upgraded);
  });

  it("signs in with the keyboard alone, with focus visible on every stop", async () => {
    const page = await newPage();
    await page.goto(`${dev.url}/sign-in`);
    const stops: string[] = [];
    // Tab from the top of the page until the email field has focus.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      const focused = (await page.evaluate(
        `(() => { const e = document.activeElement; const s = getComputedStyle(e); return { id: e.id || e.textContent.trim(), outline: s.outlineStyle + " " + s.outlineWidth }; })()`,
      )) as { id: string; outline: string };
      stops.push(focused.id);
      expect(focused.outline, `focus ring on ${focused.id}`).not.toMatch(/^none|0px$/);
      if (focused.id === "sign-in-email") break;
    }
    expect(stops.at(-1)).toBe("sign-in-email");
    await page.keyboard.type(upgraded);
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${dev.url}/account`);
    expect(await page.getByTestId("email").textContent()).toBe(upgraded);
  });

  it("adds a passkey, signs out, signs in with it alone, and deletes it", async () => {
    const page = await newPage();
    // Chromium's virtual authenticator: a platform authenticator with
    // resident keys that verifies its user (a screen lock) without asking.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${dev.url}/sign-in`);
    await page.getByLabel("Email address").fill(upgraded);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${dev.url}/account`);
    expect(await page.getByTestId("passkey").count()).toBe(0);

    await page.getByLabel("Name for the new passkey").fill("Virtual key");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await page.waitForURL(`${dev.url}/account?done=passkey-added`);
    expect(await page.getByTestId("passkey").count()).toBe(1);
    expect(await page.getByTestId("passkey").textContent()).toContain("Virtual key");
    await expectClean(page, "14-account-passkey");
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    expect(credentials[0]!.rpId).toBe("localhost");

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(`${dev.url}/sign-in?done=signed-out`);
    await expectClean(page, "15-sign-in-with-passkey");
    // No email, no password: the authenticator offers the account's key.
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${dev.url}/account`);
    expect(await page.getByTestId("email").textContent()).toBe(upgraded);
    expect(await page.getByTestId("tier").textContent()).toBe("free");

    await page.getByRole("button", { name: /^Delete passkey Virtual key/ }).click();
    await page.waitForURL(`${dev.url}/account?done=passkey-deleted`);
    expect(await page.getByTestId("passkey").count()).toBe(0);

    // The authenticator still holds the key; the server no longer accepts it.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(`${dev.url}/sign-in?done=signed-out`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect.poll(() => page.locator("#passkey-errors").textContent()).toMatch(/passkey/i);
    expect(page.url()).toBe(`${dev.url}/sign-in?done=signed-out`);
  });

  it("signs in with an emailed code, then sets up two-factor and signs in with a code from the app", async () => {
    const page = await newPage();
    await page.goto(`${dev.url}/sign-in`);
    await page.getByRole("link", { name: "Sign in with an emailed code or link" }).click();
    await page.waitForURL(`${dev.url}/sign-in/email`);
    await expectClean(page, "16-email-sign-in");
    await page.getByLabel("Email address").fill(upgraded);
    await page.getByRole("button", { name: "Mail me a code" }).click();
    await page.getByLabel("Code").waitFor();
    await expectClean(page, "17-email-code");
    const code = /^\d{6}$/m.exec((await waitForMail(dev.mailUrl, upgraded, "Your sign-in code")).Text)![0];
    await page.getByLabel("Code").fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${dev.url}/account`);

    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
    await page.getByTestId("totp-uri").waitFor();
    await expectClean(page, "18-two-factor-setup");
    const totp = OTPAuth.URI.parse((await page.getByTestId("totp-uri").textContent())!) as OTPAuth.TOTP;
    expect(await page.getByTestId("backup-codes").locator("li").count()).toBe(10);
    await page.getByLabel("Code from your app").fill(totp.generate());
    await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    await page.waitForURL(`${dev.url}/account?done=two-factor-on`);
    expect(await page.getByTestId("two-factor-state").textContent()).toBe("on");

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(`${dev.url}/sign-in?done=signed-out`);
    await page.getByLabel("Email address").fill(upgraded);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${dev.url}/two-factor`);
    await expectClean(page, "19-two-factor-step");
    // The next 30-second step's code: the one just used is refused for 90 s.
    await page.getByLabel("Code from your authenticator app").fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${dev.url}/account`);

    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Turn off two-factor sign-in" }).click();
    await page.waitForURL(`${dev.url}/account?done=two-factor-off`);
    expect(await page.getByTestId("two-factor-state").textContent()).toBe("off");
  });

  it("shows the API reference at /api/docs from this Worker alone", async () => {
    const page = await newPage();
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) blocked.push(m.text());
    });
    await page.goto(`${dev.url}/api/docs`);
    // Scalar rendered the merged document: its title, a better-auth operation, the app's tags.
    await page.getByRole("heading", { name: "edge-auth API" }).first().waitFor();
    await page.getByText("/api/auth/sign-in/email").first().waitFor();
    // One reference, and its title on the first screen (a second, empty
    // instance once pushed it below a loading skeleton).
    expect(await page.locator(".scalar-api-reference").count()).toBe(1);
    expect(await page.getByRole("heading", { name: "edge-auth API" }).first().isVisible()).toBe(true);
    const title = await page.getByRole("heading", { name: "edge-auth API" }).first().boundingBox();
    expect(title!.y).toBeLessThan(page.viewportSize()!.height);
    for (const tag of ["Account", "Content", "Admin"]) expect(await page.getByText(tag, { exact: true }).count(), tag).toBeGreaterThan(0);
    // Recorded in test-results/axe.json; Scalar's markup is not the account pages'.
    await audit(page, "13-api-docs", { fullPage: false });
    // Nothing refused by the CSP: with withDefaultFonts: false Scalar asks
    // for no font from fonts.scalar.com (foreignRequests below stays empty).
    expect(blocked).toEqual([]);
  });

  it("loaded nothing from another host", () => {
    expect(foreignRequests).toEqual([]);
  });
});
