import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { account, session, user, verification } from "../db/schema";
import { MAIL_THROTTLE_PREFIX } from "./throttle";

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
export async function replacePendingRegistration(db: Database, email: string): Promise<void> {
  await db.execute(sql`
    with pending as (
      delete from ${user} u
      where u.email = ${email.toLowerCase()}
        and u.email_verified = false
        and coalesce(u.is_anonymous, false) = false
        and not exists (select 1 from ${account} a where a.user_id = u.id and a.provider_id <> 'credential')
      returning u.id
    )
    delete from ${verification}
    where ${verification.value} in (select id from pending) and ${verification.id} not like ${`${MAIL_THROTTLE_PREFIX}%`}`);
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
