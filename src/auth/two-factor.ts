import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx, isAPIError } from "better-auth/api";
import { twoFactor } from "better-auth/plugins";
import { sql } from "drizzle-orm";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { verification } from "../db/schema";
import { requestLocal } from "./request-scope";
import { claimMailSlot, mailThrottleId } from "./throttle";

/** Failed second-factor checks per account (from any client, across sign-ins) before a lock. */
export const TWO_FACTOR_MAX_FAILURES = 10;

/** A TOTP code is accepted one 30 s step either side of now: 90 s; a used code stays refused longer. */
const USED_CODE_TTL = 120;
const USED_CODE_KIND = "totp-used";

/** better-auth's answer to a wrong TOTP code; a replayed one gets it too. */
const INVALID_CODE = { code: "INVALID_CODE", message: "Invalid code" };

/**
 * Links that sign in when opened: a magic link, a verification link with
 * AUTO_SIGN_IN_AFTER_VERIFICATION (2FA can be on before the address is
 * verified when verification is not required), and a social or OpenID
 * Connect provider's redirect back to its callback (providers.ts).
 */
const LINK_SIGN_INS = new Set(["/magic-link/verify", "/verify-email", "/callback/:id"]);

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

/**
 * TOTP two-factor (better-auth's twoFactor plugin) with edge-auth's rules:
 *
 * - enabling and disabling need the password; enabling answers an otpauth://
 *   URI and ten backup codes, and 2FA is on only once a TOTP code verifies;
 * - secret and backup codes are encrypted at rest with APP_SECRET (the
 *   plugin's "encrypted" storage; it has no hashed one for backup codes);
 * - a password sign-in of a 2FA user answers `twoFactorRedirect` with a
 *   short-lived `two_factor` cookie and no session; so does a sign-in by
 *   email code, magic link or verification link (the plugin only covers
 *   password sign-in);
 * - at most 5 wrong codes per sign-in attempt, and TWO_FACTOR_MAX_FAILURES per
 *   account within SIGN_IN_LOCKOUT across attempts and clients (the plugin's
 *   account lockout);
 * - a TOTP code works once: the plugin would accept it again within its 90 s.
 */
export function twoFactorSignIn(db: Database, config: Config) {
  const plugin = twoFactor({
    // The host name alone: a port's colon would split the otpauth label.
    issuer: new URL(config.origin).hostname,
    trustDeviceMaxAge: config.twoFactor.trustDeviceMaxAge,
    twoFactorCookieMaxAge: 10 * 60,
    backupCodeOptions: { amount: 10, length: 10, storeBackupCodes: "encrypted" },
    accountLockout: { enabled: true, maxFailedAttempts: TWO_FACTOR_MAX_FAILURES, durationSeconds: config.signIn.lockout },
  });
  const [secondFactorStep] = plugin.hooks.after;
  // Where this request's sign-in link redirects to.
  const link = requestLocal((): { location: string | null } => ({ location: null }));

  const policy = {
    id: "edge-auth-two-factor-policy",
    hooks: {
      before: [
        {
          matcher: (ctx) => ctx.path === "/two-factor/verify-totp",
          handler: createAuthMiddleware(async (ctx) => {
            const code = (ctx.body as { code?: unknown } | undefined)?.code;
            const userId = await totpUserId(ctx);
            if (typeof code !== "string" || !userId) return; // the handler's own answers
            // Claimed before the check, atomically, so two concurrent uses of
            // one code cannot both pass; released again when the code is wrong.
            if (!(await claimMailSlot(db, USED_CODE_KIND, { id: userId, email: `${userId}:${code}` }, USED_CODE_TTL))) {
              throw APIError.from("UNAUTHORIZED", INVALID_CODE);
            }
          }),
        },
      ],
      after: [
        {
          matcher: (ctx) => ctx.path === "/two-factor/verify-totp",
          handler: createAuthMiddleware(async (ctx) => {
            if (!isAPIError(ctx.context.returned)) return;
            const code = (ctx.body as { code?: unknown } | undefined)?.code;
            const userId = await totpUserId(ctx);
            if (typeof code !== "string" || !userId) return;
            // A wrong code: give back the claim the before hook made (a refused
            // replay never gets here: a before hook's error skips the after hooks).
            const id = await mailThrottleId(USED_CODE_KIND, `${userId}:${code}`);
            await db.delete(verification).where(sql`${verification.id} = ${id}`);
          }),
        },
        {
          matcher: (ctx) => LINK_SIGN_INS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned;
            link().location = isAPIError(returned) ? new Headers(returned.headers ?? undefined).get("location") : null;
          }),
        },
        {
          // The plugin's own second-factor step, on the sign-ins it does not
          // cover: a code or a link proves the mailbox, one factor.
          matcher: (ctx) => ctx.path === "/sign-in/email-otp" || LINK_SIGN_INS.has(ctx.path ?? ""),
          handler: secondFactorStep!.handler,
        },
        {
          matcher: (ctx) => LINK_SIGN_INS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const answer = ctx.context.returned as { twoFactorRedirect?: boolean } | undefined;
            // A link opened in a browser: back to its callbackURL, which asks
            // for the code (POST /two-factor/verify-totp with the cookie set above).
            const { location } = link();
            if (answer?.twoFactorRedirect && location) {
              const url = new URL(location, config.origin);
              url.searchParams.set("twoFactorRedirect", "true");
              throw ctx.redirect(url.toString());
            }
          }),
        },
      ],
    },
  } satisfies BetterAuthPlugin;

  return [plugin, policy] as const;
}

/**
 * Whose TOTP a verify-totp request checks: the signed-in user (finishing
 * enabling), or the user of the sign-in the `two_factor` cookie stands for.
 */
async function totpUserId(ctx: HookContext): Promise<string | undefined> {
  const session = ctx.context.session ?? (await getSessionFromCtx(ctx));
  if (session) return session.user.id;
  const cookie = ctx.context.createAuthCookie("two_factor");
  const identifier = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
  if (!identifier) return undefined;
  const row = await ctx.context.internalAdapter.findVerificationValue(identifier);
  return row && row.expiresAt > new Date() ? row.value : undefined;
}
