import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { verification } from "../db/schema";

/**
 * Claims the right to send one mail of `kind` to `email` now: true at most
 * once per `intervalSeconds` per kind and address, across every isolate,
 * because the claim is a row (one atomic upsert, no read-then-write race).
 *
 * The row lives in `verification` so it needs no table of its own and the
 * hourly cleanup removes it once expired. Its id is a hash, so the address
 * is not stored in clear; its value is the user id, so deleting the account
 * deletes it too.
 */
export async function claimMailSlot(
  db: Database,
  kind: string,
  user: { id: string; email: string },
  intervalSeconds: number,
): Promise<boolean> {
  if (intervalSeconds <= 0) return true;
  const key = await mailThrottleId(kind, user.email);
  // The database clock decides both the expiry and whether it has passed.
  const expiresAt = sql`now() + ${intervalSeconds} * interval '1 second'`;
  const claimed = await db
    .insert(verification)
    .values({ id: key, identifier: key, value: user.id, expiresAt })
    .onConflictDoUpdate({
      target: verification.id,
      set: { value: user.id, expiresAt, createdAt: sql`now()`, updatedAt: sql`now()` },
      setWhere: sql`${verification.expiresAt} <= now()`,
    })
    .returning({ id: verification.id });
  return claimed.length > 0;
}

/** What every throttle row's id starts with; the rest of `verification` is better-auth's. */
export const MAIL_THROTTLE_PREFIX = "mail-throttle:";

/** The row id of the throttle for one kind of mail to one address: hashed, so the address is not stored. */
export async function mailThrottleId(kind: string, email: string): Promise<string> {
  return `${MAIL_THROTTLE_PREFIX}${await sha256(`${kind}:${email.toLowerCase()}`)}`;
}

/** SHA-256 of `text`, base64url: how this app keys the rows it adds to `verification`. */
export async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
