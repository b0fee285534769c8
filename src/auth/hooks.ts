import { APIError, createAuthMiddleware, getSessionFromCtx, isAPIError } from "better-auth/api";
import { generateRandomString, verifyJWT } from "better-auth/crypto";
import { z } from "zod";
import type { Database } from "../db/client";
import { checkAccountText } from "./input";
import { revokePendingLinks } from "./pending-links";
import { refreshCacheAfterChange } from "./session-cache";
import { PAGE_PATHS } from "./links";
import { linkVoidsPassword, type pendingRegistrations, revokeSessionsBeforeVerification, verifyWithoutPassword } from "./registration";
import type { signInGuard } from "./sign-in-guard";

export interface AccountPolicy {
  verificationRequired: boolean;
  nameMaxLength: number;
  /** The per-account sign-in guard (its state is per request). */
  guard: ReturnType<typeof signInGuard>;
  /** The replacement of a pending registration, run in sign-up's transaction (per request). */
  registrations: ReturnType<typeof pendingRegistrations>;
}

export const TOKEN_ALREADY_USED = {
  code: "TOKEN_ALREADY_USED",
  message: "This verification link has already been used: the email address is verified, so sign in",
};

/** App policy on better-auth's own endpoints, before its handlers run. */
export const accountPolicy = (db: Database, policy: AccountPolicy) =>
  createAuthMiddleware(async (ctx) => {
    checkAccountText(ctx.path, ctx.body, policy.nameMaxLength);
    switch (ctx.path) {
      case "/sign-in/email": {
        const email = bodyField(ctx, "email");
        const password = bodyField(ctx, "password");
        // An address better-auth refuses as malformed (400) gets no password
        // checked, and no account can have it: nothing to count.
        if (typeof email === "string" && z.email().safeParse(email).success) {
          await policy.guard.before(email, () => ctx.context.password.hash(String(password ?? "")));
        }
        return;
      }
      case "/sign-up/email": {
        // Only while verification is required: without it an unverified
        // account is in use, and replacing it would hand it to whoever signs up.
        const email = bodyField(ctx, "email");
        if (policy.verificationRequired && typeof email === "string") policy.registrations.replaceOnSignUp(email);
        return;
      }
      case "/list-sessions":
        // The account's devices and addresses: read from the database, so a
        // session revoked elsewhere cannot list them from its cache cookie.
        return { context: { query: { ...(ctx.query ?? {}), disableCookieCache: true } } };
      case "/change-email":
        // The address is where resets go: moving it takes a fresh sign-in, as
        // listing sessions does, not just any cookie that still works.
        return requireFreshSession(ctx);
      case "/reset-password":
        return revokeOtherLinksOnReset(ctx, db, policy.guard);
      case "/change-password":
        // Revoking the other sessions is the default; a client opts out with
        // `revokeOtherSessions: false`.
        if (ctx.body && typeof ctx.body === "object" && ctx.body.revokeOtherSessions === undefined) {
          return { context: { body: { ...ctx.body, revokeOtherSessions: true } } };
        }
        return;
      case "/verify-email": {
        const token = ctx.query?.token;
        // Invalid and expired tokens: the handler's own answers.
        const payload = typeof token === "string" ? await verifyJWT<LinkPayload>(token, ctx.context.secret) : null;
        if (!payload) return;
        if (payload.updateTo) return revokeLinksOnEmailChange(payload, db);
        return firstVerification(ctx, payload, token as string, db, policy);
      }
      case "/admin/update-user":
      case "/admin/create-user":
        return refuseTierOutsideTierRoute(ctx);
    }
  });

async function requireFreshSession(ctx: HookContext) {
  const found = await getSessionFromCtx(ctx);
  if (!found) return; // the handler answers 401
  const freshAgeMs = ctx.context.sessionConfig.freshAge * 1000;
  if (Date.now() - new Date(found.session.createdAt).getTime() >= freshAgeMs) {
    throw APIError.from("FORBIDDEN", { code: "SESSION_NOT_FRESH", message: "Sign in again to change your email address" });
  }
}

/** A successful reset must leave no other reset link of the user usable. */
async function revokeOtherLinksOnReset(ctx: HookContext, db: Database, guard: AccountPolicy["guard"]) {
  const token = ctx.body && typeof ctx.body === "object" ? (ctx.body as { token?: unknown }).token : undefined;
  if (typeof token !== "string" || !token) return;
  const row = await ctx.context.internalAdapter.findVerificationValue(`reset-password:${token}`);
  if (row && row.expiresAt > new Date()) {
    await revokePendingLinks(db, row.value, row.id);
    guard.resetting(row.value);
  }
}

/** What better-auth signs into a verification link. */
interface LinkPayload {
  email?: unknown;
  userId?: unknown;
  updateTo?: unknown;
}

/** Confirming a new address voids the links mailed to the old one. */
async function revokeLinksOnEmailChange(payload: LinkPayload, db: Database) {
  if (typeof payload.userId === "string") await revokePendingLinks(db, payload.userId);
}

/**
 * The admin plugin writes any user field it is given, tier included. Tier
 * changes go through PUT /api/admin/users/:id/tier, which records who made
 * them; a tier here would change it with no audit row.
 */
function refuseTierOutsideTierRoute(ctx: HookContext) {
  const data = ctx.body && typeof ctx.body === "object" ? (ctx.body as { data?: unknown }).data : undefined;
  if (data && typeof data === "object" && "tier" in data) {
    throw APIError.from("BAD_REQUEST", {
      code: "TIER_CHANGE_NOT_ALLOWED_HERE",
      message: "Change a tier with PUT /api/admin/users/{id}/tier, which records the change",
    });
  }
}

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

const bodyField = (ctx: HookContext, key: string): unknown =>
  ctx.body && typeof ctx.body === "object" ? (ctx.body as Record<string, unknown>)[key] : undefined;

/**
 * A sign-up verification link with a valid signature: the first time it
 * verifies its address, the sessions issued before go (registration.ts); once
 * the address is verified, the link has done its job.
 */
async function firstVerification(ctx: HookContext, payload: LinkPayload, token: string, db: Database, policy: AccountPolicy) {
  if (typeof payload.email !== "string") return;
  const found = await ctx.context.internalAdapter.findUserByEmail(payload.email);
  // A link for another (replaced) registration: the handler's INVALID_TOKEN.
  if (!found || (payload.userId && payload.userId !== found.user.id)) return;
  if (found.user.emailVerified) return refuseUsedVerificationLink(ctx);
  // A pending registration (verification required): only the link its own
  // sign-up mailed may keep the password (registration.ts).
  if (policy.verificationRequired && (await linkVoidsPassword(db, found.user.id, token))) {
    return verifyAndChoosePassword(ctx, db, found.user.id);
  }
  return revokeSessionsBeforeVerification(db, found.user.id);
}

/**
 * A link mailed by a resend or a sign-in, not by the sign-up that set the
 * password: whoever asked for it need not be whoever set the password (the
 * one who did may have replaced the owner's registration). The mailbox owner
 * has proven the address, so it is verified; the password goes, with every
 * session; and instead of a session the owner gets a fresh reset token on
 * the reset page (in the fragment, like a mailed reset link) to choose their
 * own password. A client's callbackURL cannot take a reset token, so the
 * link always lands on the app's reset page.
 */
async function verifyAndChoosePassword(ctx: HookContext, db: Database, userId: string): Promise<never> {
  // As random as the reset tokens better-auth mails (24 characters of [a-zA-Z0-9]).
  const resetToken = generateRandomString(24, "a-z", "A-Z", "0-9");
  const row = await ctx.context.internalAdapter.createVerificationValue({
    identifier: `reset-password:${resetToken}`,
    value: userId,
    expiresAt: new Date(Date.now() + (ctx.context.options.emailAndPassword?.resetPasswordTokenExpiresIn ?? 3600) * 1000),
  });
  await verifyWithoutPassword(db, userId, row.id);
  const target = new URL(`${PAGE_PATHS.resetPassword}?verified=1`, ctx.context.baseURL);
  target.hash = new URLSearchParams({ token: resetToken }).toString();
  throw ctx.redirect(target.href);
}

/**
 * better-auth's verification links are signed, expiring JWTs, not rows, so
 * "used" is a state of the user: a link for an address that is already
 * verified has done its job. better-auth answers such a link with a bare
 * success (and no session); this answers it with an error that says so.
 * Only a link with a valid signature gets this answer, so it tells nothing
 * about addresses to someone who makes up tokens.
 */
async function refuseUsedVerificationLink(ctx: HookContext) {
  const callbackURL = ctx.query?.callbackURL;
  if (typeof callbackURL === "string" && callbackURL) {
    // An untrusted callbackURL is the handler's to refuse (403), never ours to follow.
    if (!ctx.context.isTrustedOrigin(callbackURL, { allowRelativePaths: true })) return;
    throw ctx.redirect(withErrorParam(callbackURL, TOKEN_ALREADY_USED.code));
  }
  throw APIError.from("BAD_REQUEST", TOKEN_ALREADY_USED);
}

/** Adds `error=<code>` to a possibly relative URL, as better-auth's own error redirects do. */
function withErrorParam(url: string, code: string): string {
  const hashAt = url.indexOf("#");
  const [base, hash] = hashAt < 0 ? [url, ""] : [url.slice(0, hashAt), url.slice(hashAt)];
  return `${base}${base.includes("?") ? "&" : "?"}error=${encodeURIComponent(code)}${hash}`;
}

/** App policy after better-auth's handlers, for the request this auth instance serves. */
export function accountFollowUp(
  db: Database,
  mails: { afterResetRequest(email: unknown): Promise<void>; afterChangeEmailRequest(newEmail: unknown): Promise<void> },
  { guard, registrations }: Pick<AccountPolicy, "guard" | "registrations">,
  passwords: { upgrade(userId: string): Promise<void> },
) {
  return createAuthMiddleware(async (ctx) => {
    refreshCacheAfterChange(ctx);
    // A sign-up refused before its transaction (its body schema) must not
    // leave the replacement waiting for some later transaction. This hook
    // runs before the plugins' after hooks.
    if (ctx.path === "/sign-up/email") registrations.forget();
    if (ctx.path === "/sign-in/email") {
      const returned = ctx.context.returned;
      await guard.after(!isAPIError(returned) ? "succeeded" : returned.statusCode === 401 ? "failed" : "other");
    }
    if (isAPIError(ctx.context.returned)) return;
    if (ctx.path === "/sign-in/email" && ctx.context.newSession) {
      // A stock scrypt or weaker argon2id hash that just verified becomes a
      // current argon2id hash, before the response.
      await passwords.upgrade(ctx.context.newSession.user.id);
    }
    if (ctx.path === "/reset-password") {
      // A successful reset is the owner's way back in: it ends a lock at once.
      await guard.afterReset((id) => ctx.context.internalAdapter.findUserById(id));
    }
    if (ctx.path === "/request-password-reset") {
      await mails.afterResetRequest(ctx.body?.email);
    }
    if (ctx.path === "/change-email") {
      await mails.afterChangeEmailRequest(ctx.body?.newEmail);
    }
    if (ctx.path === "/change-password" && ctx.context.session) {
      // A reset link mailed before the change would undo it.
      await revokePendingLinks(db, ctx.context.session.user.id);
    }
  });
}
