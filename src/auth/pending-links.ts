import { and, eq, ne, notLike } from "drizzle-orm";
import type { Database } from "../db/client";
import { verification } from "../db/schema";
import { MAIL_THROTTLE_PREFIX } from "./throttle";

/**
 * Revokes the emailed links (password reset, account deletion) still pending
 * for a user, except `keepId`. Run when the password or the address changes:
 * a link mailed before that, possibly to an address the user is leaving,
 * must not outlive the change. Mail throttle rows (also keyed to the user)
 * stay, so the change does not reopen the mail limit.
 */
export async function revokePendingLinks(db: Database, userId: string, keepId?: string): Promise<void> {
  await db
    .delete(verification)
    .where(
      and(
        eq(verification.value, userId),
        notLike(verification.id, `${MAIL_THROTTLE_PREFIX}%`),
        keepId ? ne(verification.id, keepId) : undefined,
      ),
    );
}
