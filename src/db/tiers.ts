import { eq } from "drizzle-orm";
import type { Database } from "./client";
import { tierChange, user, type Tier, type TierChange } from "./schema";

/** Who changed a tier from the command line (`npm run admin -- set-tier`), in tier_change.changed_by. */
export const CLI_ACTOR = "cli";

export type TierChangeResult =
  | { found: false }
  | { found: true; changed: false; from: Tier }
  | { found: true; changed: true; from: Tier; row: TierChange };

/**
 * Sets a user's tier and records the change in tier_change, in one
 * transaction. `changedBy` is the admin's user id, or CLI_ACTOR. The row lock
 * orders concurrent changes so each audit row's from_tier is the tier the
 * change really replaced. Setting the tier a user already has records nothing.
 */
export async function changeTier(db: Database, userId: string, tier: Tier, changedBy: string): Promise<TierChangeResult> {
  return db.transaction(async (tx) => {
    const [target] = await tx.select({ tier: user.tier }).from(user).where(eq(user.id, userId)).for("update");
    if (!target) return { found: false as const };
    if (target.tier === tier) return { found: true as const, changed: false as const, from: target.tier };
    await tx.update(user).set({ tier }).where(eq(user.id, userId));
    const [row] = await tx.insert(tierChange).values({ id: crypto.randomUUID(), userId, fromTier: target.tier, toTier: tier, changedBy }).returning();
    return { found: true as const, changed: true as const, from: target.tier, row: row! };
  });
}
