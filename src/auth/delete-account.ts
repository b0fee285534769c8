import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { user, verification } from "../db/schema";

/**
 * Deletes a user and everything that is theirs in one statement, so in one
 * transaction: sessions, accounts and tier history go by ON DELETE CASCADE,
 * and the verification rows that point at the user (reset and deletion
 * tokens, mail throttles: `value` is the user id) in the same statement.
 *
 * better-auth deletes sessions, accounts and the user in separate,
 * non-transactional statements after its beforeDelete hook; run from that
 * hook, this leaves those statements nothing to delete.
 */
export function deleteUserCascade(db: Database) {
  return async (target: { id: string }) => {
    await db.execute(
      sql`with tokens as (delete from ${verification} where ${verification.value} = ${target.id})
          delete from ${user} where ${user.id} = ${target.id}`,
    );
  };
}

/**
 * For every other way a user is deleted (admin remove-user, the anonymous
 * plugin's clean-up): the verification rows that point at the user go too;
 * sessions, accounts and tier history go by cascade. On the delete-user path
 * deleteUserCascade has already removed them.
 */
export function deleteUserTokens(db: Database) {
  return async (target: { id: string }) => {
    await db.delete(verification).where(eq(verification.value, target.id));
  };
}
