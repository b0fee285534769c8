import { APIError } from "better-auth/api";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { verification } from "../db/schema";

/** What every failure counter row's id starts with (rows live in `verification`, like the mail throttle). */
export const SIGN_IN_FAILURES_PREFIX = "sign-in-failures:";

export interface SignInGuardConfig {
  /** Failed sign-ins for one address within `lockout` seconds before it is locked. */
  maxFailures: number;
  /** Seconds: the counting window, and how long a lock lasts (at most 15 minutes). */
  lockout: number;
}

/** better-auth's answer to a wrong password or an unknown address; a locked account gets it too. */
const INVALID_EMAIL_OR_PASSWORD = { code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password" };

/**
 * Failed sign-ins counted per account, across every client address: the
 * per-client rate limit alone lets a botnet guess one account's password
 * from many addresses (OWASP ASVS 5.0 V6.3, Keycloak's brute-force
 * detection). After `maxFailures` failures within `lockout` seconds, sign-in
 * to that address is refused for `lockout` seconds from the failure that
 * locked it, with the right password too.
 *
 * - The answer while locked is better-auth's own wrong-password answer, and
 *   unknown addresses are counted and locked alike, so a lock tells nothing
 *   about whether the address has an account. The password is still hashed,
 *   as better-auth does for an unknown address, so the timing matches too.
 * - Attempts refused while locked are not counted: a lock ends on time,
 *   whatever an attacker keeps sending.
 * - A successful password reset clears the counter (the owner's way back in
 *   at once), and so does a successful sign-in.
 * - The counter is one row per address (id: a hash of the address), counted
 *   with one atomic upsert, so concurrent failures from many isolates all
 *   count; expired rows go with the hourly cleanup.
 *
 * Built per request (like the auth instance): it remembers whether this
 * request's sign-in was refused as locked, and whether a counter existed.
 */
export function signInGuard(db: Database, config: SignInGuardConfig) {
  let refusedAsLocked = false;
  let counterExists = false;
  let resetUserId: string | undefined;

  return {
    /**
     * Before a sign-in (password or email code): refuse a locked address,
     * with `refusal`, the answer a wrong guess of that method gets.
     */
    async before(email: string, hashPassword: () => Promise<unknown>, refusal: { code: string; message: string; status?: "UNAUTHORIZED" | "BAD_REQUEST" } = INVALID_EMAIL_OR_PASSWORD) {
      const key = await failuresId(email);
      const [row] = await db
        .select({ locked: sql<boolean>`${verification.value}::int >= ${config.maxFailures}` })
        .from(verification)
        .where(sql`${verification.id} = ${key} and ${verification.expiresAt} > now()`);
      counterExists = Boolean(row);
      if (row?.locked) {
        refusedAsLocked = true;
        await hashPassword();
        const { status = "UNAUTHORIZED", ...body } = refusal;
        throw APIError.from(status, body);
      }
    },
    /** After that sign-in: count a failure, or clear the counter on success. */
    async after(email: string, failed: boolean) {
      if (refusedAsLocked) return;
      if (failed) return recordFailure(db, email, config);
      if (counterExists) await clearFailures(db, email);
    },
    /** Before /reset-password with a live token: whose password it resets. */
    resetting(userId: string) {
      resetUserId = userId;
    },
    /** After a successful /reset-password: the owner's way back in ends a lock at once. */
    async afterReset(findUser: (id: string) => Promise<{ email: string } | null>) {
      const found = resetUserId ? await findUser(resetUserId) : null;
      if (found) await clearFailures(db, found.email);
    },
  };
}

async function recordFailure(db: Database, email: string, { maxFailures, lockout }: SignInGuardConfig) {
  const key = await failuresId(email);
  const window = sql`now() + ${lockout} * interval '1 second'`;
  const stale = sql`${verification.expiresAt} <= now()`;
  const next = sql`${verification.value}::int + 1`;
  await db
    .insert(verification)
    .values({ id: key, identifier: key, value: "1", expiresAt: window })
    .onConflictDoUpdate({
      target: verification.id,
      set: {
        value: sql`case when ${stale} then '1' else (${next})::text end`,
        // The window runs from the first failure; the failure that locks the
        // address starts a full lock from now.
        expiresAt: sql`case when ${stale} or ${next} >= ${maxFailures} then ${window} else ${verification.expiresAt} end`,
        updatedAt: sql`now()`,
      },
    });
}

/** Forgets the failures counted for an address (a successful reset or sign-in). */
export async function clearFailures(db: Database, email: string): Promise<void> {
  await db.delete(verification).where(sql`${verification.id} = ${await failuresId(email)}`);
}

/** The counter row's id for an address: hashed, so the address is not stored. */
export async function failuresId(email: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email.trim().toLowerCase())));
  return `${SIGN_IN_FAILURES_PREFIX}${btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}
