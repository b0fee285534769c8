import { relations, sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex, varchar } from "drizzle-orm/pg-core";

// better-auth's core tables, as its CLI generates them for the drizzle adapter
// (`provider: "pg"`), with one deliberate difference: timestamps are
// `timestamptz`, so an expiry means the same instant whatever the session's
// TimeZone setting is (workerd, Node scripts and psql do not have to agree).
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

import { TIERS } from "./tiers.js";

export { TIERS, type Tier } from "./tiers.js";

export const user = pgTable(
  "user",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull().unique(),
    emailVerified: boolean("email_verified").default(false).notNull(),
    image: text("image"),
    createdAt: instant("created_at").defaultNow().notNull(),
    updatedAt: instant("updated_at")
      .defaultNow()
      .$onUpdate(() => new Date())
      .notNull(),
    tier: varchar("tier", { length: 20, enum: TIERS }).default("free").notNull(),
    // better-auth anonymous plugin
    isAnonymous: boolean("is_anonymous").default(false),
    // better-auth admin plugin
    role: text("role"),
    banned: boolean("banned").default(false),
    banReason: text("ban_reason"),
    banExpires: instant("ban_expires"),
    // better-auth two-factor plugin
    twoFactorEnabled: boolean("two_factor_enabled").default(false),
  },
  (table) => [
    check(
      "user_tier_check",
      sql`${table.tier} in (${sql.raw(TIERS.map((t) => `'${t}'`).join(", "))})`,
    ),
  ],
);

export const session = pgTable(
  "session",
  {
    id: text("id").primaryKey(),
    expiresAt: instant("expires_at").notNull(),
    token: text("token").notNull().unique(),
    createdAt: instant("created_at").defaultNow().notNull(),
    updatedAt: instant("updated_at")
      .$onUpdate(() => new Date())
      .notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    // better-auth admin plugin: the admin behind an impersonation session.
    impersonatedBy: text("impersonated_by"),
  },
  (table) => [
    index("session_user_id_idx").on(table.userId),
    // The cleanup job walks expired rows in expiry order.
    index("session_expires_at_idx").on(table.expiresAt),
  ],
);

export const account = pgTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: instant("access_token_expires_at"),
    refreshTokenExpiresAt: instant("refresh_token_expires_at"),
    scope: text("scope"),
    password: text("password"),
    createdAt: instant("created_at").defaultNow().notNull(),
    updatedAt: instant("updated_at")
      .$onUpdate(() => new Date())
      .notNull(),
  },
  (table) => [index("account_user_id_idx").on(table.userId)],
);

export const verification = pgTable(
  "verification",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: instant("expires_at").notNull(),
    createdAt: instant("created_at").defaultNow().notNull(),
    updatedAt: instant("updated_at")
      .defaultNow()
      .$onUpdate(() => new Date())
      .notNull(),
  },
  (table) => [
    index("verification_identifier_idx").on(table.identifier),
    index("verification_expires_at_idx").on(table.expiresAt),
  ],
);

/**
 * better-auth jwt plugin: the key pairs that sign /api/auth/token JWTs and are
 * published at /api/auth/jwks. private_key is encrypted with APP_SECRET by the
 * plugin.
 */
export const jwks = pgTable("jwks", {
  id: text("id").primaryKey(),
  publicKey: text("public_key").notNull(),
  privateKey: text("private_key").notNull(),
  createdAt: instant("created_at").notNull(),
  expiresAt: instant("expires_at"),
  alg: text("alg"),
  crv: text("crv"),
});
// better-auth two-factor plugin: one row per user with TOTP set up. The
// secret and the backup codes are encrypted with APP_SECRET (better-auth's
// symmetricEncrypt); the counter and lock are its per-account lockout.
export const twoFactor = pgTable(
  "two_factor",
  {
    id: text("id").primaryKey(),
    secret: text("secret").notNull(),
    backupCodes: text("backup_codes").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    verified: boolean("verified").default(true),
    failedVerificationCount: integer("failed_verification_count").default(0),
    lockedUntil: instant("locked_until"),
  },
  (table) => [index("two_factor_secret_idx").on(table.secret), index("two_factor_user_id_idx").on(table.userId)],
);

// better-auth passkey plugin (@better-auth/passkey): one row per registered
// WebAuthn credential. A credential id is the authenticator's and names one
// key, so it is unique (the generator only indexes it).
export const passkey = pgTable(
  "passkey",
  {
    id: text("id").primaryKey(),
    name: text("name"),
    publicKey: text("public_key").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    credentialID: text("credential_id").notNull(),
    counter: integer("counter").notNull(),
    deviceType: text("device_type").notNull(),
    backedUp: boolean("backed_up").notNull(),
    transports: text("transports"),
    createdAt: instant("created_at"),
    aaguid: text("aaguid"),
  },
  (table) => [index("passkey_user_id_idx").on(table.userId), uniqueIndex("passkey_credential_id_idx").on(table.credentialID)],
);

export const passkeyRelations = relations(passkey, ({ one }) => ({
  user: one(user, { fields: [passkey.userId], references: [user.id] }),
}));

export const twoFactorRelations = relations(twoFactor, ({ one }) => ({
  user: one(user, { fields: [twoFactor.userId], references: [user.id] }),
}));

export const userRelations = relations(user, ({ many }) => ({
  sessions: many(session),
  accounts: many(account),
  twoFactors: many(twoFactor),
  passkeys: many(passkey),
  tierChanges: many(tierChange, { relationName: "tierChangeUser" }),
}));

export const sessionRelations = relations(session, ({ one }) => ({
  user: one(user, { fields: [session.userId], references: [user.id] }),
}));

export const accountRelations = relations(account, ({ one }) => ({
  user: one(user, { fields: [account.userId], references: [user.id] }),
}));

/** Audit trail of tier changes: whose, from what, to what, by whom, when. */
export const tierChange = pgTable(
  "tier_change",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id, { onDelete: "cascade" }),
    fromTier: varchar("from_tier", { length: 20, enum: TIERS }).notNull(),
    toTier: varchar("to_tier", { length: 20, enum: TIERS }).notNull(),
    // The admin's user id, or "cli" for `npm run admin`. No foreign key: the
    // record names who did it even after that account is deleted.
    changedBy: text("changed_by"),
    changedAt: instant("changed_at").defaultNow().notNull(),
  },
  (table) => [index("tier_change_user_id_idx").on(table.userId, table.changedAt)],
);

export const tierChangeRelations = relations(tierChange, ({ one }) => ({
  user: one(user, { fields: [tierChange.userId], references: [user.id], relationName: "tierChangeUser" }),
  changedByUser: one(user, { fields: [tierChange.changedBy], references: [user.id] }),
}));

export type User = typeof user.$inferSelect;
export type TierChange = typeof tierChange.$inferSelect;
export type Session = typeof session.$inferSelect;
