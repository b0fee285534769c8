import type { BetterAuthOptions, DBAdapter } from "better-auth";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { account, session, user, verification } from "../db/schema";
import { requestLocal } from "./request-scope";
import { MAIL_THROTTLE_PREFIX, sha256 } from "./throttle";

/**
 * The admin plugin's role for new users. Passed to the plugin and used for
 * the answer to a sign-up with a taken address, so both answers agree.
 */
export const DEFAULT_ROLE = "user";

/**
 * The answer better-auth gives a sign-up for a taken address: a made-up user
 * built from the request, which it fills with schema defaults only, not with
 * what plugins' create hooks add (the admin plugin's role). This gives the
 * made-up user what a real new one gets, so the two answers match key by key
 * (test/security/enumeration.test.ts compares them, so a plugin that adds a
 * field shows up there).
 */
export function syntheticSignUpUser({
  coreFields,
  additionalFields,
  id,
}: {
  coreFields: Record<string, unknown>;
  additionalFields: Record<string, unknown>;
  id: string;
}): Record<string, unknown> {
  return { ...coreFields, ...additionalFields, role: DEFAULT_ROLE, isAnonymous: false, id };
}

/**
 * An account whose address was never verified is a pending registration, not
 * an account: with verification required nobody can sign in to it, so the
 * person who registered first has proven nothing. A new sign-up for the
 * address replaces it: the pending user goes (its password, sessions and
 * pending links with it; mail throttle rows stay, so replacing does not
 * reopen the mail limit) and better-auth creates the new registration as for
 * a free address, mailing the link to the mailbox. Only the mailbox owner
 * can complete it, with the password of the registration the link was mailed
 * for: a link mailed for the replaced one names a user that no longer exists.
 *
 * One statement, run for every sign-up, so a free, a pending and a taken
 * address cost the same round trip here. Users with another sign-in method
 * (a social account) or anonymous ones are never pending registrations.
 */
export async function replacePendingRegistration(db: Database, email: string): Promise<boolean> {
  const result = await db.execute<{ replaced: boolean }>(sql`
    with pending as (
      delete from ${user} u
      where u.email = ${email.toLowerCase()}
        and u.email_verified = false
        and coalesce(u.is_anonymous, false) = false
        and not exists (select 1 from ${account} a where a.user_id = u.id and a.provider_id <> 'credential')
      returning u.id
    ), links as (
      delete from ${verification}
      where ${verification.value} in (select id from pending) and ${verification.id} not like ${`${MAIL_THROTTLE_PREFIX}%`}
    )
    select exists (select 1 from pending) as replaced`);
  return result.rows[0]?.replaced === true;
}

/**
 * Runs the replacement inside sign-up's own transaction, so a sign-up that
 * fails after it (a password too short, a bad field, a lost connection)
 * rolls it back and leaves the pending registration and its link as they
 * were. The before hook only says which address (`replaceOnSignUp`); the
 * replacement is then the first statement of the next transaction the
 * request opens, which is sign-up's (its whole handler is one
 * runWithTransaction). It runs on the request's one connection, the very
 * connection that transaction is open on.
 */
export function pendingRegistrations(db: Database) {
  // Per request: what this request's sign-up asked for and what its transaction did.
  const state = requestLocal((): { replacing?: string; signingUp: boolean; replaced: boolean } => ({ signingUp: false, replaced: false }));
  return {
    /** Before /sign-up/email: the pending registration of `email` goes in sign-up's transaction. */
    replaceOnSignUp(email: string) {
      Object.assign(state(), { replacing: email, signingUp: true });
    },
    /**
     * From the verification mail callback: a link this request's sign-up
     * mails is the one that may keep the password it set (recordSignUpLink),
     * unless that sign-up replaced someone's pending registration. Links
     * mailed by any other request (a resend, a sign-in) are not recorded.
     */
    async afterVerificationLink(userId: string, token: string, expiresInSeconds: number) {
      const { signingUp, replaced } = state();
      if (signingUp && !replaced) await recordSignUpLink(db, userId, token, expiresInSeconds);
    },
    /** After /sign-up/email: a replacement its transaction did not take is dropped. */
    forget() {
      Object.assign(state(), { replacing: undefined, signingUp: false });
    },
    /** The adapter whose next transaction starts with the replacement asked for. */
    adapter<O extends BetterAuthOptions>(factory: (options: O) => DBAdapter<O>): (options: O) => DBAdapter<O> {
      return (options) => {
        const adapter = factory(options);
        const { transaction } = adapter;
        adapter.transaction = (callback) =>
          transaction(async (trx) => {
            const email = state().replacing;
            state().replacing = undefined;
            if (email !== undefined) state().replaced = await replacePendingRegistration(db, email);
            return callback(trx);
          });
        return adapter;
      };
    },
  };
}

/**
 * When an address is verified for the first time, sessions issued before
 * that (a sign-up while verification was optional) end: whoever held them
 * had not proven the address. The session the verification link itself
 * signs in with is created after this.
 */
export async function revokeSessionsBeforeVerification(db: Database, userId: string): Promise<void> {
  await db.delete(session).where(sql`${session.userId} = ${userId}`);
}

/** What every sign-up link row's id starts with (the rest is the SHA-256 of the link's token). */
export const SIGN_UP_LINK_PREFIX = "sign-up-link:";

/**
 * A pending registration's password is only as good as the person who set
 * it, and opening a verification link proves the mailbox, not who set the
 * password. So the one link that may keep the password is the one mailed by
 * the sign-up request that set it, and that link is recorded here, as the
 * SHA-256 of its token (the token itself exists only in the mail), keyed to
 * the user: replacing the registration, or any revocation of the user's
 * pending links, deletes it with the user's other rows.
 *
 * A sign-up that replaced a pending registration gets no record: its mail
 * goes to the mailbox of the registration it replaced, whose owner cannot
 * tell it from the mail of their own sign-up, so an attacker who signs up
 * after the owner must not be able to keep a password through it. Whoever
 * opens it verifies the address and chooses a password (hooks.ts): a
 * registrant who signs up twice types one again, nobody is taken over.
 *
 * Recording the link beats
 * comparing the link JWT's `iat` with the user's creation time: `iat` has
 * one-second resolution and comes from another clock, so a resend or a
 * sign-in in the same second as the sign-up would pass for it, while a row
 * exists only for the very token the sign-up mailed.
 */
async function recordSignUpLink(db: Database, userId: string, token: string, expiresInSeconds: number): Promise<void> {
  const id = `${SIGN_UP_LINK_PREFIX}${await sha256(token)}`;
  await db
    .insert(verification)
    .values({ id, identifier: id, value: userId, expiresAt: sql`now() + ${expiresInSeconds} * interval '1 second'` })
    .onConflictDoNothing();
}

/**
 * Whether `token` is a verification link that must not keep the password of
 * the pending registration `userId`: the user has a credential password and
 * the link is not the one its sign-up mailed.
 */
export async function linkVoidsPassword(db: Database, userId: string, token: string): Promise<boolean> {
  const id = `${SIGN_UP_LINK_PREFIX}${await sha256(token)}`;
  const result = await db.execute<{ voids: boolean }>(sql`
    select exists (
      select 1 from ${account} a where a.user_id = ${userId} and a.provider_id = 'credential' and a.password is not null
    ) and not exists (
      select 1 from ${verification} v where v.id = ${id} and v.value = ${userId} and v.expires_at > now()
    ) as voids`);
  return result.rows[0]?.voids === true;
}

/**
 * Verifies the address of a pending registration whose password the verifier
 * may not have set: the credential password goes (so none set before works),
 * the sessions go, the user's pending links go (but `keepId`, the fresh
 * reset token the verifier gets to choose a password with; mail throttle rows
 * stay), and the address is verified. One statement, so it happens whole or
 * not at all.
 */
export async function verifyWithoutPassword(db: Database, userId: string, keepId: string): Promise<void> {
  await db.execute(sql`
    with gone_sessions as (delete from ${session} where ${session.userId} = ${userId}),
      gone_password as (delete from ${account} where ${account.userId} = ${userId} and ${account.providerId} = 'credential'),
      gone_links as (
        delete from ${verification}
        where ${verification.value} = ${userId} and ${verification.id} <> ${keepId}
          and ${verification.id} not like ${`${MAIL_THROTTLE_PREFIX}%`}
      )
    update ${user} set email_verified = true, updated_at = now() where ${user.id} = ${userId}`);
}
