import type { MailKind } from "../mail/templates";

/**
 * Where the account pages (src/pages) take over from better-auth's links.
 * A client that passes its own callbackURL / redirectTo keeps it.
 */
export const PAGE_PATHS = {
  verified: "/verified",
  emailChanged: "/verified?change=email",
  deleted: "/goodbye",
  resetPassword: "/reset-password",
  account: "/account",
} as const;

/**
 * Rewrites the link better-auth built for a mail:
 * - a reset link carries its token in the URL fragment, which browsers never
 *   send: better-auth's own `GET /api/auth/reset-password/<token>` puts it in
 *   the request path, which wrangler's and Cloudflare's request logs record.
 *   The page (ours, or the client's redirectTo) reads the fragment and posts
 *   the token to `POST /api/auth/reset-password`.
 * - the other links keep their signed token (better-auth's GET endpoints need
 *   it) but land on the account pages when the client named no callbackURL
 *   (better-auth's default is "/").
 */
export function mailLink(kind: MailKind, url: string, token: string, origin: string): string {
  // A sign-in code mail carries the code, no link.
  if (!url) return url;
  const link = new URL(url);
  if (kind === "reset-password") {
    const redirectTo = link.searchParams.get("callbackURL");
    // better-auth checked redirectTo against the trusted origins before this
    // ran (request-password-reset's origin check); relative ones are ours.
    const target = new URL(redirectTo || PAGE_PATHS.resetPassword, origin);
    target.hash = new URLSearchParams({ token }).toString();
    return target.href;
  }
  if (link.searchParams.get("callbackURL") === "/") {
    const page =
      kind === "verify-email"
        ? PAGE_PATHS.verified
        : kind === "change-email"
          ? PAGE_PATHS.emailChanged
          : kind === "magic-link"
            ? PAGE_PATHS.account
            : PAGE_PATHS.deleted;
    link.searchParams.set("callbackURL", page);
  }
  return link.href;
}
