import { APIError } from "better-auth/api";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { verification } from "../db/schema";
import { requestLocal } from "./request-scope";

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
 * detection). At most `maxFailures` passwords are tried for an address
 * within `lockout` seconds; once that many have failed, sign-in to the
 * address is refused for `lockout` seconds from the failure that locked it,
 * with the right password too.
 *
 * - Each attempt takes its count before its password is checked, in one
 *   atomic upsert that refuses once the limit is reached: checking first
 *   and counting after the (slow) hash would let every request of a burst
 *   sent at once through. An attempt that turns out not to be a failed
 *   password (a success, an unverified address, a bad request) gives its
 *   count back; a success clears the counter.
 * - The answer while locked is better-auth's own wrong-password answer, and
 *   unknown addresses are counted and locked alike, so a lock tells nothing
 *   about whether the address has an account. The password is still hashed,
 *   as better-auth does for an unknown address, so the timing matches too.
 * - Attempts refused while locked are not counted: a lock ends on time,
 *   whatever an attacker keeps sending.
 * - A successful password reset clears the counter (the owner's way back in
 *   at once), and so does a successful sign-in.
 * - The counter is one row per address (id: a hash of the address), so
 *   concurrent attempts from many isolates all count; expired rows go with
 *   the hourly cleanup.
 *
 * Built once, with the auth instance; what it remembers (the count this
 * request's sign-in took, the user a reset is for) is per request.
 */
export function signInGuard(db: Database, config: SignInGuardConfig) {
  const state = requestLocal((): { counted?: string; resetUserId?: string } => ({}));

  return {
    /**
     * Before a sign-in (password or email code): take a count, or refuse a
     * locked address with `refusal`, the answer a wrong guess of that method gets.
     */
    async before(email: string, hashPassword: () => Promise<unknown>, refusal: { code: string; message: string; status?: "UNAUTHORIZED" | "BAD_REQUEST" } = INVALID_EMAIL_OR_PASSWORD) {
      const key = await failuresId(email);
      if (await takeAttempt(db, key, config)) {
        state().counted = key;
        return;
      }
      await hashPassword();
      const { status = "UNAUTHORIZED", ...body } = refusal;
      throw APIError.from(status, body);
    },
    /** After that sign-in: a failed password or code keeps its count; anything else gives it back. */
    async after(outcome: "failed" | "succeeded" | "other") {
      const key = state().counted;
      state().counted = undefined;
      if (!key || outcome === "failed") return;
      if (outcome === "succeeded") return void (await db.delete(verification).where(sql`${verification.id} = ${key}`));
      await db
        .update(verification)
        .set({ value: sql`greatest(${verification.value}::int - 1, 0)::text`, updatedAt: sql`now()` })
        .where(sql`${verification.id} = ${key} and ${verification.expiresAt} > now()`);
    },
    /** Before /reset-password with a live token: whose password it resets. */
    resetting(userId: string) {
      state().resetUserId = userId;
    },
    /** After a successful /reset-password: the owner's way back in ends a lock at once. */
    async afterReset(findUser: (id: string) => Promise<{ email: string } | null>) {
      const { resetUserId } = state();
      const found = resetUserId ? await findUser(resetUserId) : null;
      if (found) await clearFailures(db, found.email);
    },
  };
}

/**
 * Counts one attempt for the address unless it is locked, in one statement:
 * concurrent attempts serialize on the row, so no more than `maxFailures`
 * get through in a window. False when locked (the row is left as it is).
 */
async function takeAttempt(db: Database, key: string, { maxFailures, lockout }: SignInGuardConfig): Promise<boolean> {
  const window = sql`now() + ${lockout} * interval '1 second'`;
  const stale = sql`${verification.expiresAt} <= now()`;
  const taken = sql`${verification.value}::int`;
  const rows = await db
    .insert(verification)
    .values({ id: key, identifier: key, value: "1", expiresAt: window })
    .onConflictDoUpdate({
      target: verification.id,
      set: {
        value: sql`case when ${stale} then '1' else (${taken} + 1)::text end`,
        // The window runs from the first attempt; the attempt that reaches
        // the limit starts a full lock from now (if it fails).
        expiresAt: sql`case when ${stale} or ${taken} + 1 >= ${maxFailures} then ${window} else ${verification.expiresAt} end`,
        updatedAt: sql`now()`,
      },
      // Locked: no update, so no row comes back.
      setWhere: sql`${stale} or ${taken} < ${maxFailures}`,
    })
    .returning({ id: verification.id });
  return rows.length > 0;
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
