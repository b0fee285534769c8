import type { Config } from "../config";
import type { Database } from "../db/client";
import { sendInBackground, type Mailer } from "../mail";
import { composeMail, type MailKind } from "../mail/templates";
import { mailLink } from "./links";
import { requestLocal } from "./request-scope";
import { claimMailSlot } from "./throttle";

/** How long an emailed account deletion link works, in seconds. */
export const DELETE_ACCOUNT_LINK_EXPIRES_IN = 60 * 60;

export interface MailDeps {
  db: Database;
  config: Config;
  /** The mailer of the request being served (its env's bindings). */
  mailer: () => Mailer;
  /** The request's ExecutionContext.waitUntil: mail goes out after the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  /** Told of every address verification link before it is mailed (registration.ts records the sign-up's). */
  onVerificationLink: (userId: string, token: string, expiresInSeconds: number) => Promise<void>;
}

interface LinkCallbackData {
  user: { id: string; email: string };
  url: string;
  token: string;
}

/**
 * better-auth's mail callbacks. They run inside its handler and on the
 * request's database connection, so the throttle check happens here (before
 * the response) and only the provider call is deferred: work on the
 * connection after the response would race its close.
 */
export function accountMails({ db, config, mailer, waitUntil, onVerificationLink }: MailDeps) {
  const site = new URL(config.origin).host;
  // Whether this request's reset or change-email mailed anything.
  const handled = requestLocal(() => ({ reset: false, changeEmail: false }));

  async function send(kind: MailKind, { user, url, token, code }: LinkCallbackData & { code?: string }, expiresIn: number, throttled: boolean) {
    // The anonymous plugin's made-up addresses are on .invalid (RFC 2606),
    // which no mail can reach.
    if (/\.invalid$/i.test(user.email)) return;
    // Unauthenticated requests trigger these mails; the limit keeps anyone
    // from flooding someone else's inbox through us.
    if (throttled && !(await claimMailSlot(db, kind, user, config.mail.resendInterval))) {
      console.log(`mail_throttled: ${kind}`);
      return;
    }
    sendInBackground(waitUntil, mailer(), kind, composeMail(kind, { to: user.email, url: mailLink(kind, url, token, config.origin), code, expiresIn, site }));
  }

  return {
    /** Sign-up, unverified sign-in, resend, and the new address of an email change. */
    sendVerificationEmail: async (data: LinkCallbackData) => {
      const kind = isEmailChange(data.token) ? "change-email" : "verify-email";
      if (kind === "change-email") handled().changeEmail = true;
      else await onVerificationLink(data.user.id, data.token, config.verification.expiresIn);
      return send(kind, data, config.verification.expiresIn, true);
    },
    sendResetPassword: (data: LinkCallbackData) => {
      handled().reset = true;
      return send("reset-password", data, config.resetPasswordExpiresIn, true);
    },
    /**
     * After a request-password-reset that mailed nothing because no user has
     * the address: claim the same throttle slot a known address would have.
     * Both answers then cost the same round trips and one write each (plus
     * the token for a known user), and the limit holds per address whether
     * or not it exists. (The row's value is empty: there is no user to own it.)
     */
    async afterResetRequest(email: unknown) {
      if (handled().reset || typeof email !== "string") return;
      await claimMailSlot(db, "reset-password", { id: "", email }, config.mail.resendInterval);
    },
    /**
     * After a change-email to an address that is taken (better-auth mails
     * nothing then): the same throttle write a free address costs, so the
     * answer's timing does not tell which addresses have accounts.
     */
    async afterChangeEmailRequest(newEmail: unknown) {
      if (handled().changeEmail || typeof newEmail !== "string") return;
      await claimMailSlot(db, "change-email", { id: "", email: newEmail }, config.mail.resendInterval);
    },
    /**
     * A 6-digit sign-in code (emailOTP). Throttled before the plugin makes
     * the code (passwordless.ts), since a new code voids the last one.
     */
    sendSignInCode: ({ email, otp }: { email: string; otp: string }) =>
      send("sign-in-code", { user: { id: "", email }, url: "", token: "", code: otp }, config.passwordless.otpExpiresIn, false),
    /**
     * A magic link. Throttled here: a link that is not mailed stays unused,
     * and the one mailed before keeps working. (No user id: the plugin mails
     * before it knows whether the address has an account.)
     */
    sendMagicLink: ({ email, url, token }: { email: string; url: string; token: string }) =>
      send("magic-link", { user: { id: "", email }, url, token }, config.passwordless.magicLinkExpiresIn, true),
    // Needs a signed-in session to ask for; not throttled.
    sendDeleteAccountVerification: (data: LinkCallbackData) =>
      send("delete-account", data, DELETE_ACCOUNT_LINK_EXPIRES_IN, false),
  };
}

/**
 * better-auth sends both kinds through sendVerificationEmail; an email-change
 * token is the one whose (signed, just issued) payload names the new address.
 */
function isEmailChange(token: string): boolean {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    return Boolean((JSON.parse(json) as { updateTo?: unknown }).updateTo);
  } catch {
    return false;
  }
}
