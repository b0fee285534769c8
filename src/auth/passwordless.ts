import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { emailOTP, magicLink } from "better-auth/plugins";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { accountMails } from "./emails";
import type { signInGuard } from "./sign-in-guard";
import { claimMailSlot } from "./throttle";

/** Wrong guesses a code survives; the next attempt finds it void, right or not. */
export const OTP_ALLOWED_ATTEMPTS = 5;

/** better-auth's answer to a wrong code; a locked address gets it too. */
const INVALID_OTP = { code: "INVALID_OTP", message: "Invalid OTP", status: "BAD_REQUEST" as const };

/**
 * The email-OTP plugin's other flows (verify the address, reset the password,
 * change the address by code) would bypass what the link flows enforce here
 * (registration.ts, hooks.ts); only sign-in by code is offered.
 */
export const PASSWORDLESS_DISABLED_PATHS = [
  "/email-otp/check-verification-otp",
  "/email-otp/verify-email",
  "/email-otp/request-password-reset",
  "/email-otp/reset-password",
  "/forget-password/email-otp",
  "/email-otp/request-email-change",
  "/email-otp/change-email",
];

interface PasswordlessDeps {
  db: Database;
  config: Config;
  mails: ReturnType<typeof accountMails>;
  guard: ReturnType<typeof signInGuard>;
}

/**
 * Sign-in by a 6-digit emailed code (POST /email-otp/send-verification-otp,
 * then POST /sign-in/email-otp) and by a magic link (POST /sign-in/magic-link,
 * then GET /magic-link/verify?token=...). Both store only SHA-256 hashes of
 * what they mail, work once and expire; a code is void after
 * OTP_ALLOWED_ATTEMPTS wrong guesses, and wrong codes count towards the
 * per-account sign-in lock (sign-in-guard.ts) like wrong passwords.
 */
export function passwordless({ db, config, mails, guard }: PasswordlessDeps) {
  const { otpExpiresIn, magicLinkExpiresIn, signUp } = config.passwordless;
  return [
    emailOTP({
      otpLength: 6,
      expiresIn: otpExpiresIn,
      storeOTP: "hashed",
      allowedAttempts: OTP_ALLOWED_ATTEMPTS,
      disableSignUp: !signUp,
      // Only "sign-in" gets here (the policy below refuses the other types).
      sendVerificationOTP: mails.sendSignInCode,
    }),
    magicLink({
      expiresIn: magicLinkExpiresIn,
      storeToken: "hashed",
      disableSignUp: !signUp,
      sendMagicLink: mails.sendMagicLink,
    }),
    {
      id: "edge-auth-passwordless-policy",
      hooks: {
        before: [
          {
            matcher: (ctx) => ctx.path === "/email-otp/send-verification-otp",
            handler: createAuthMiddleware(async (ctx) => {
              const { email, type } = (ctx.body ?? {}) as { email?: unknown; type?: unknown };
              if (type !== "sign-in") {
                throw APIError.from("BAD_REQUEST", { code: "INVALID_OTP_TYPE", message: 'Only type "sign-in" is offered' });
              }
              if (typeof email !== "string") return;
              // Before the plugin makes a code: a new code voids the one mailed
              // before, so a request inside the interval must change nothing.
              // Claimed for unknown addresses too: the same answer and the same
              // write whether or not the address has an account.
              if (!(await claimMailSlot(db, "sign-in-code", { id: "", email }, config.mail.resendInterval))) {
                console.log("mail_throttled: sign-in-code");
                return ctx.json({ success: true });
              }
            }),
          },
          {
            matcher: (ctx) => ctx.path === "/sign-in/email-otp",
            handler: createAuthMiddleware(async (ctx) => {
              const email = (ctx.body as { email?: unknown } | undefined)?.email;
              if (typeof email === "string") await guard.before(email, async () => undefined, INVALID_OTP);
            }),
          },
        ],
        after: [
          {
            matcher: (ctx) => ctx.path === "/sign-in/email-otp",
            handler: createAuthMiddleware(async (ctx) => {
              const email = (ctx.body as { email?: unknown } | undefined)?.email;
              if (typeof email !== "string") return;
              const returned = ctx.context.returned;
              // Wrong, expired and exhausted codes count; a 5xx gives its count back.
              await guard.after(!isAPIError(returned) ? "succeeded" : returned.statusCode < 500 ? "failed" : "other");
            }),
          },
        ],
      },
    } satisfies BetterAuthPlugin,
  ] as const;
}
