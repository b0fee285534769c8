import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Child } from "hono/jsx";
import { providerButtons, providerOrigins } from "../auth/providers";
import type { Config } from "../config";
import type { AppEnv } from "../env";
import { DOCS_JS } from "../routes/openapi";
import { callApi, type ApiAnswer, type ApiFetch } from "./api";
import { PAGES_CSS, PAGES_JS } from "./assets";
import type { FormError } from "./layout";
import {
  AccountPage,
  CheckMailPage,
  EmailSignInPage,
  TwoFactorPage,
  ForgotPasswordPage,
  GoodbyePage,
  ProblemPage,
  ResetPasswordPage,
  SignInPage,
  SignUpPage,
  VerifiedPage,
  type AccountView,
  type PasskeyRow,
  type SessionRow,
} from "./views";

/**
 * The account pages: server-rendered HTML whose forms post here, and each
 * handler makes the same public API call a browser or app would
 * (`/api/auth/*`, `/api/me`), passing the browser's cookie, origin, device
 * and address along. So they work without JavaScript and double as a worked
 * example of a front end on this API.
 */
// Same origin only; no inline script or style; nothing from another host.
// The one exception is where a form may lead: "Sign in with <provider>"
// posts here and is redirected to the provider, and browsers hold that
// redirect to form-action too.
const csp = (config: Config) =>
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  `form-action ${["'self'", ...providerOrigins(config.providers)].join(" ")}; frame-ancestors 'none'; base-uri 'none'`;

type PageContext = Context<AppEnv>;

interface SessionAnswer {
  session: { id: string };
  user: AccountView["user"] & { id: string; isAnonymous?: boolean | null };
}

const NOTICES: Record<string, string> = {
  "signed-out": "You are signed out.",
  "password-reset": "Your password is changed. Sign in with the new one.",
  "password-changed": "Your password is changed, and your other devices are signed out.",
  "session-revoked": "That device is signed out.",
  "others-revoked": "Every other device is signed out.",
  "verification-sent": "We have mailed you a verification link.",
  "two-factor-on": "Two-factor sign-in is on. Your next password sign-in asks for a code.",
  "two-factor-off": "Two-factor sign-in is off.",
  "passkey-added": "Your passkey is added. You can sign in with it now.",
  "passkey-deleted": "That passkey is deleted.",
};

/** What a failed provider sign-in (better-auth's ?error=) means to the person. */
const PROVIDER_ERRORS: Record<string, string> = {
  account_not_linked:
    "An account with this email address already exists. Sign in with it as before; the provider can be used once both it and this account have the address verified.",
  email_not_verified: "Verify your address first: we have mailed you a link.",
  email_not_found: "The provider did not share an email address.",
  access_denied: "Sign-in was cancelled at the provider.",
};

export function createPages(api: ApiFetch) {
  const pages = new Hono<AppEnv>();
  const call = <T = Record<string, unknown>>(c: PageContext, path: string, body?: unknown) =>
    callApi<T>(c, api, path, body === undefined ? {} : { method: "POST", body });

  pages.get("/assets/pages.css", (c) => asset(c, PAGES_CSS, "text/css; charset=utf-8"));
  pages.get("/assets/pages.js", (c) => asset(c, PAGES_JS, "text/javascript; charset=utf-8"));
  pages.get("/assets/docs.js", (c) => asset(c, DOCS_JS, "text/javascript; charset=utf-8"));

  // Mounted at "/", so "*" would also see requests no /api route took (their
  // 404 stays the API's JSON): only page paths get the pages' rules.
  pages.use("*", async (c, next) => {
    if (c.req.path.startsWith("/assets/") || c.req.path === "/api" || c.req.path.startsWith("/api/")) return next();
    if (c.req.method === "POST") {
      // Forms post only from this site's pages (the API's trusted origins);
      // browsers send Origin on every POST.
      const origin = c.req.header("origin");
      if (!origin || !c.var.config.trustedOrigins.includes(origin)) {
        return page(c, <ProblemPage title="Request refused" text="This form was sent from another site." />, 403);
      }
    }
    await next();
    c.header("Content-Security-Policy", csp(c.var.config));
    // Pages show account data or carry tokens: never stored by a cache.
    c.header("Cache-Control", "no-store");
    // Not secureHeaders' no-referrer: under it browsers post forms with
    // `Origin: null`, and the origin check above needs the real one.
    // No URL here carries a secret (the reset token is in the fragment).
    c.header("Referrer-Policy", "same-origin");
  });
  const formLimit = bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text("Form too large", 413) });
  pages.use("*", (c, next) => (c.req.method === "POST" && !c.req.path.startsWith("/api/") ? formLimit(c, next) : next()));

  const providers = (c: PageContext) => providerButtons(c.var.config.providers);
  pages.get("/", async (c) =>
    (await currentSession(c, call)) ? c.redirect("/account", 303) : page(c, <SignInPage providers={providers(c)} />),
  );
  pages.get("/sign-in", (c) => {
    // better-auth sends a failed provider sign-in back here with ?error=CODE.
    const error = c.req.query("error");
    const errors = error ? [{ message: PROVIDER_ERRORS[error] ?? "Sign-in with the provider did not complete. Try again." }] : [];
    return page(c, <SignInPage notice={NOTICES[c.req.query("done") ?? ""]} providers={providers(c)} errors={errors} />, error ? 400 : 200);
  });
  // "Sign in with <provider>": better-auth answers the provider's
  // authorization URL and sets the signed state cookie; the browser follows.
  pages.post("/sign-in/social", async (c) => {
    const { provider } = await fields(c, ["provider"]);
    if (!providers(c).some((p) => p.id === provider)) {
      return page(c, <SignInPage providers={providers(c)} errors={[{ message: "That sign-in provider is not available." }]} />, 400);
    }
    const answer = await call<{ url?: string }>(c, "/api/auth/sign-in/social", {
      provider,
      callbackURL: "/account",
      errorCallbackURL: "/sign-in",
    });
    if (answer.ok && answer.body?.url) return redirectWith(c, answer, answer.body.url);
    return page(c, <SignInPage providers={providers(c)} errors={[{ message: describe(answer) }]} />, answer.status >= 400 ? answer.status : 502);
  });
  pages.post("/sign-in", async (c) => {
    const form = await fields(c, ["email", "password"]);
    const missing = required(form, { email: "Enter your email address", password: "Enter your password" });
    if (missing.length) return page(c, <SignInPage email={form.email} errors={missing} />, 400);
    const answer = await call(c, "/api/auth/sign-in/email", { email: form.email, password: form.password });
    if (answer.ok) return redirectWith(c, answer, secondStep(answer) ? "/two-factor" : "/account");
    const message =
      answer.code === "EMAIL_NOT_VERIFIED"
        ? "Verify your address first: we have mailed you a new link."
        : answer.status === 401
          ? "Wrong email address or password."
          : describe(answer);
    return page(c, <SignInPage email={form.email} errors={[{ message }]} />, answer.status);
  });

  // Without a password: a 6-digit code or a link, by mail (src/auth/passwordless.ts).
  pages.get("/sign-in/email", (c) => page(c, <EmailSignInPage />));
  pages.post("/sign-in/email", async (c) => {
    const form = await fields(c, ["email", "how"]);
    const missing = required(form, { email: "Enter your email address" });
    if (missing.length) return page(c, <EmailSignInPage errors={missing} />, 400);
    const answer =
      form.how === "link"
        ? await call(c, "/api/auth/sign-in/magic-link", { email: form.email, callbackURL: "/account" })
        : await call(c, "/api/auth/email-otp/send-verification-otp", { email: form.email, type: "sign-in" });
    if (answer.ok) return form.how === "link" ? c.redirect("/check-mail?for=magic-link", 303) : page(c, <EmailSignInPage email={form.email} codeSent />);
    return page(c, <EmailSignInPage email={form.email} errors={[apiError(answer, { EMAIL: "email" })]} />, answer.status);
  });
  pages.post("/sign-in/email/code", async (c) => {
    const form = await fields(c, ["email", "otp"]);
    const missing = required(form, { otp: "Enter the code from your mail" });
    const answer = missing.length ? null : await call(c, "/api/auth/sign-in/email-otp", { email: form.email, otp: (form.otp ?? "").trim() });
    if (answer?.ok) return redirectWith(c, answer, secondStep(answer) ? "/two-factor" : "/account");
    const message =
      answer?.code === "TOO_MANY_ATTEMPTS" || answer?.code === "OTP_EXPIRED"
        ? "This code no longer works. Ask for a new one."
        : answer?.code === "INVALID_OTP"
          ? "That code is not right. Check the newest mail."
          : answer && describe(answer);
    const errors = missing.length ? missing : [{ field: "otp", message: message! }];
    return page(c, <EmailSignInPage email={form.email} codeSent errors={errors} />, answer?.status ?? 400);
  });

  // The second step of a two-factor sign-in; the two_factor cookie says whose.
  pages.get("/two-factor", (c) => page(c, <TwoFactorPage />));
  for (const [path, endpoint, formName] of [
    ["/two-factor", "/api/auth/two-factor/verify-totp", "totp"],
    ["/two-factor/backup", "/api/auth/two-factor/verify-backup-code", "backup"],
  ] as const) {
    pages.post(path, async (c) => {
      const form = await fields(c, ["code", "trustDevice"]);
      const missing = required(form, { code: "Enter the code" });
      const answer = missing.length ? null : await call(c, endpoint, { code: (form.code ?? "").trim(), trustDevice: form.trustDevice === "yes" });
      if (answer?.ok) return redirectWith(c, answer, "/account");
      const message = !answer
        ? ""
        : answer.code === "INVALID_CODE" || answer.code === "INVALID_BACKUP_CODE"
          ? "That code is not right."
          : answer.status === 401
            ? "This sign-in has expired. Start again."
            : describe(answer);
      const errors = missing.length ? missing : [{ field: answer!.status === 401 && !/INVALID/.test(answer!.code ?? "") ? undefined : "code", message }];
      return page(c, <TwoFactorPage errors={errors} errorForm={formName} />, answer?.status ?? 400);
    });
  }

  pages.get("/sign-up", async (c) => page(c, <SignUpPage upgrade={Boolean((await currentSession(c, call))?.user.isAnonymous)} />));
  pages.post("/sign-up", async (c) => {
    const form = await fields(c, ["name", "email", "password"]);
    const missing = required(form, { name: "Enter your name", email: "Enter your email address", password: "Choose a password" });
    const answer = missing.length ? null : await call(c, "/api/auth/sign-up/email", form);
    if (answer?.ok) {
      // With verification required the answer carries no session: the link does.
      const signedIn = answer.cookies.some((cookie) => /session_token=[^;]/.test(cookie));
      return redirectWith(c, answer, signedIn ? "/account" : "/check-mail?for=sign-up");
    }
    const errors = missing.length ? missing : [apiError(answer!, { PASSWORD: "password", EMAIL: "email", NAME: "name" })];
    return page(c, <SignUpPage name={form.name} email={form.email} errors={errors} />, answer?.status ?? 400);
  });

  pages.post("/try", async (c) => {
    const answer = await call(c, "/api/auth/sign-in/anonymous", {});
    if (answer.ok) return redirectWith(c, answer, "/account");
    return page(c, <ProblemPage title="Could not start a trial" text={describe(answer)} />, answer.status);
  });

  pages.post("/sign-out", async (c) => redirectWith(c, await call(c, "/api/auth/sign-out", {}), "/sign-in?done=signed-out"));

  pages.get("/check-mail", (c) => page(c, <CheckMailPage reason={c.req.query("for") ?? "sign-up"} />));

  // Where verification and change-email links land (src/auth/links.ts);
  // better-auth adds ?error=CODE when the link does not work.
  pages.get("/verified", (c) => page(c, <VerifiedPage error={c.req.query("error")} emailChange={c.req.query("change") === "email"} />));
  pages.post("/verify/resend", async (c) => {
    const form = await fields(c, ["email"]);
    const missing = required(form, { email: "Enter your email address" });
    const answer = missing.length ? null : await call(c, "/api/auth/send-verification-email", { email: form.email });
    if (answer?.ok) return c.redirect("/check-mail?for=verify", 303);
    const errors = missing.length ? missing : [apiError(answer!, { EMAIL: "email" })];
    return page(c, <VerifiedPage error="INVALID_TOKEN" email={form.email} errors={errors} />, answer?.status ?? 400);
  });

  pages.get("/forgot-password", (c) => page(c, <ForgotPasswordPage />));
  pages.post("/forgot-password", async (c) => {
    const form = await fields(c, ["email"]);
    const missing = required(form, { email: "Enter your email address" });
    // No redirectTo: the mail links to /reset-password#token=... (src/auth/links.ts).
    const answer = missing.length ? null : await call(c, "/api/auth/request-password-reset", { email: form.email });
    if (answer?.ok) return c.redirect("/check-mail?for=reset", 303);
    const errors = missing.length ? missing : [apiError(answer!, { EMAIL: "email" })];
    return page(c, <ForgotPasswordPage email={form.email} errors={errors} />, answer?.status ?? 400);
  });

  // ?verified=1: a verification link that voided the password set before it (src/auth/hooks.ts).
  pages.get("/reset-password", (c) => page(c, <ResetPasswordPage verified={c.req.query("verified") === "1"} />));
  pages.post("/reset-password", async (c) => {
    const form = await fields(c, ["token", "newPassword"]);
    if (!form.token) {
      const errors = [{ field: "token", message: "Open this page from the link in your mail." }];
      return page(c, <ResetPasswordPage errors={errors} />, 400);
    }
    const missing = required(form, { newPassword: "Choose a new password" });
    const answer = missing.length ? null : await call(c, "/api/auth/reset-password", form);
    if (answer?.ok) return c.redirect("/sign-in?done=password-reset", 303);
    const errors = missing.length
      ? missing
      : answer!.code === "INVALID_TOKEN"
        ? [{ field: "token", message: "This link has expired or was already used. Ask for a new one." }]
        : [apiError(answer!, { PASSWORD: "newPassword" })];
    return page(c, <ResetPasswordPage token={form.token} errors={errors} />, answer?.status ?? 400);
  });

  pages.get("/account", async (c) => {
    const view = await accountView(c, call);
    if (view) return page(c, <AccountPage {...view} notice={NOTICES[c.req.query("done") ?? ""]} />);
    // A sign-in link of a two-factor user comes back here without a session.
    return c.redirect(c.req.query("twoFactorRedirect") === "true" ? "/two-factor" : "/sign-in", 303);
  });

  /** Runs an account form's API call; on failure shows the account page with the error at that form. */
  async function accountAction(
    c: PageContext,
    formName: string,
    run: (form: Record<string, string>) => Promise<{ answer?: ApiAnswer; errors?: FormError[]; next?: string }>,
    names: string[],
  ) {
    const form = await fields(c, names);
    const { answer, errors, next } = await run(form);
    if (!errors && answer?.ok && next) return redirectWith(c, answer, next);
    if (answer?.status === 401) return c.redirect("/sign-in", 303);
    const view = await accountView(c, call);
    if (!view) return c.redirect("/sign-in", 303);
    const shown = errors ?? [answer ? apiError(answer, {}) : { message: "Something went wrong" }];
    return page(c, <AccountPage {...view} errors={shown} errorForm={formName} />, answer?.status && !answer.ok ? answer.status : 400);
  }

  pages.post("/account/sessions/revoke", (c) =>
    accountAction(c, "sessions", async (f) => ({ answer: await call(c, "/api/auth/revoke-session-by-id", { id: f.id }), next: "/account?done=session-revoked" }), ["id"]),
  );
  pages.post("/account/sessions/revoke-others", (c) =>
    accountAction(c, "sessions", async () => ({ answer: await call(c, "/api/auth/revoke-other-sessions", {}), next: "/account?done=others-revoked" }), []),
  );
  pages.post("/account/passkeys/delete", (c) =>
    accountAction(
      c,
      "passkeys",
      async (f) => {
        const answer = await call(c, "/api/auth/passkey/delete-passkey", { id: f.id });
        if (answer.ok) return { answer, next: "/account?done=passkey-deleted" };
        // The plugin answers 401 for someone else's passkey too: signed in, it is not found.
        const gone = answer.status === 404 || (answer.status === 401 && (await currentSession(c, call)));
        return gone ? { answer: { ...answer, status: 404 }, errors: [{ message: "That passkey is not on your account (any more)." }] } : { answer };
      },
      ["id"],
    ),
  );
  pages.post("/account/two-factor/enable", async (c) => {
    const form = await fields(c, ["password"]);
    const fail = async (errors: FormError[], status: number) => {
      const view = await accountView(c, call);
      return view ? page(c, <AccountPage {...view} errors={errors} errorForm="two-factor" />, status as 400) : c.redirect("/sign-in", 303);
    };
    if (!form.password) return fail([{ field: "password", message: "Enter your password" }], 400);
    const answer = await call<{ totpURI: string; backupCodes: string[] }>(c, "/api/auth/two-factor/enable", { password: form.password });
    if (answer.status === 401) return c.redirect("/sign-in", 303);
    if (!answer.ok || !answer.body) {
      return fail([{ field: "password", message: answer.code === "INVALID_PASSWORD" ? "That is not your password." : describe(answer) }], answer.status);
    }
    const view = await accountView(c, call);
    if (!view) return c.redirect("/sign-in", 303);
    return page(c, <AccountPage {...view} twoFactorSetup={{ totpURI: answer.body.totpURI, backupCodes: answer.body.backupCodes }} />);
  });
  pages.post("/account/two-factor/confirm", (c) =>
    accountAction(
      c,
      "two-factor",
      async (f) => {
        if (!f.code?.trim()) return { errors: [{ message: "Set up two-factor sign-in again, and enter the code your app shows." }] };
        const answer = await call(c, "/api/auth/two-factor/verify-totp", { code: f.code.trim() });
        if (answer.ok) return { answer, next: "/account?done=two-factor-on" };
        const message = answer.code === "INVALID_CODE" ? "That code is not right. Set up two-factor sign-in again and use the new key." : describe(answer);
        return { answer, errors: [{ message }] };
      },
      ["code"],
    ),
  );
  pages.post("/account/two-factor/disable", (c) =>
    accountAction(
      c,
      "two-factor",
      async (f) => {
        if (!f.password) return { errors: [{ field: "password", message: "Enter your password" }] };
        const answer = await call(c, "/api/auth/two-factor/disable", { password: f.password });
        if (answer.ok) return { answer, next: "/account?done=two-factor-off" };
        return { answer, errors: [{ field: "password", message: answer.code === "INVALID_PASSWORD" ? "That is not your password." : describe(answer) }] };
      },
      ["password"],
    ),
  );
  pages.post("/account/password", (c) =>
    accountAction(
      c,
      "password",
      async (f) => {
        const missing = required(f, { currentPassword: "Enter your current password", newPassword: "Choose a new password" });
        if (missing.length) return { errors: missing };
        const answer = await call(c, "/api/auth/change-password", { currentPassword: f.currentPassword, newPassword: f.newPassword, revokeOtherSessions: true });
        if (answer.ok) return { answer, next: "/account?done=password-changed" };
        const field = answer.code === "INVALID_PASSWORD" ? "currentPassword" : /PASSWORD/.test(answer.code ?? "") ? "newPassword" : undefined;
        const message = answer.code === "INVALID_PASSWORD" ? "That is not your current password." : describe(answer);
        return { answer, errors: [{ field, message }] };
      },
      ["currentPassword", "newPassword"],
    ),
  );
  pages.post("/account/email", (c) =>
    accountAction(
      c,
      "email",
      async (f) => {
        const missing = required(f, { newEmail: "Enter the new address" });
        if (missing.length) return { errors: missing };
        const answer = await call(c, "/api/auth/change-email", { newEmail: f.newEmail });
        if (answer.ok) return { answer, next: "/check-mail?for=change-email" };
        const message = answer.code === "SESSION_NOT_FRESH" ? "Sign out and in again, then change your address." : describe(answer);
        return { answer, errors: [{ field: answer.code === "SESSION_NOT_FRESH" ? undefined : "newEmail", message }] };
      },
      ["newEmail"],
    ),
  );
  pages.post("/account/delete", (c) =>
    accountAction(
      c,
      "delete",
      async (f) => {
        if (f.confirm !== "yes") return { errors: [{ field: "confirm", message: "Tick the box to confirm." }] };
        const answer = await call<{ message?: string }>(c, "/api/auth/delete-user", {});
        // DELETE_ACCOUNT_CONFIRMATION=email mails a link; fresh-session deletes at once.
        const next = answer.body?.message === "User deleted" ? "/goodbye" : "/check-mail?for=delete-account";
        return { answer: answer as ApiAnswer, next };
      },
      ["confirm"],
    ),
  );

  pages.get("/goodbye", (c) => page(c, <GoodbyePage />));
  return pages;
}

function page(c: PageContext, body: Child, status = 200) {
  return c.html(`<!doctype html>${body}`, status as 200);
}

function asset(c: PageContext, text: string, type: string) {
  return c.body(text, 200, { "content-type": type, "cache-control": "public, max-age=300" });
}

/** A sign-in answered the second-factor step instead of a session. */
function secondStep(answer: ApiAnswer): boolean {
  return Boolean((answer.body as { twoFactorRedirect?: boolean } | undefined)?.twoFactorRedirect);
}

/** A 303 to `to` that carries the API answer's cookies (a new or cleared session). */
function redirectWith(c: PageContext, answer: ApiAnswer, to: string) {
  const response = c.redirect(to, 303);
  for (const cookie of answer.cookies) response.headers.append("set-cookie", cookie);
  return response;
}

async function fields(c: PageContext, names: string[]): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  return Object.fromEntries(names.map((name) => [name, typeof body[name] === "string" ? (body[name] as string) : ""]));
}

function required(form: Record<string, string>, messages: Record<string, string>): FormError[] {
  return Object.entries(messages)
    .filter(([name]) => !form[name]?.trim())
    .map(([field, message]) => ({ field, message }));
}

/** The API's own message; a rate limit or outage in words a person can act on. */
function describe(answer: ApiAnswer): string {
  if (answer.status === 429) return "Too many attempts. Wait a minute and try again.";
  if (answer.status >= 500) return "The service is unavailable right now. Try again shortly.";
  return answer.message || "That did not work. Check what you entered and try again.";
}

/** An API error tied to the field its code names (PASSWORD_TOO_SHORT → password, ...). */
function apiError(answer: ApiAnswer, fieldsByWord: Record<string, string>): FormError {
  const code = answer.code ?? "";
  const text = `${code} ${answer.message ?? ""}`.toUpperCase();
  const word = Object.keys(fieldsByWord).find((w) => text.includes(w));
  return { field: answer.status === 429 || answer.status >= 500 || !word ? undefined : fieldsByWord[word], message: describe(answer) };
}

/**
 * Session cookies are better-auth's `[__Secure-]better-auth.session_token`; no cookie, no API call.
 * The pages read the session from the database, not the session cache cookie: the account page is
 * where a user revokes sessions and changes credentials, so it shows a revocation at once.
 */
async function currentSession(c: PageContext, call: (c: PageContext, path: string) => Promise<ApiAnswer<SessionAnswer>>) {
  if (!/session_token=/.test(c.req.header("cookie") ?? "")) return null;
  const answer = await call(c, "/api/auth/get-session?disableCookieCache=true");
  return answer.ok ? answer.body : null;
}

async function accountView(
  c: PageContext,
  call: <T>(c: PageContext, path: string, body?: unknown) => Promise<ApiAnswer<T>>,
): Promise<AccountView | null> {
  const found = await currentSession(c, call);
  if (!found) return null;
  const user = { ...found.user, isAnonymous: Boolean(found.user.isAnonymous) };
  if (user.isAnonymous) return { user, sessions: null };
  const keys = await call<PasskeyRow[]>(c, "/api/auth/passkey/list-user-passkeys");
  const passkeys = keys.ok && Array.isArray(keys.body) ? keys.body.map(({ id, name, createdAt }) => ({ id, name, createdAt })) : [];
  // Listing sessions needs a fresh sign-in (SESSION_FRESH_AGE); without one the page says so.
  const listed = await call<Omit<SessionRow, "current">[]>(c, "/api/auth/list-sessions");
  const sessions = listed.ok && Array.isArray(listed.body)
    ? listed.body
        .map(({ id, createdAt, userAgent, ipAddress }) => ({ id, createdAt, userAgent, ipAddress, current: id === found.session.id }))
        .sort((a, b) => Number(b.current) - Number(a.current))
    : null;
  return { user, sessions, passkeys };
}
