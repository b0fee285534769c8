import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { admin, anonymous } from "better-auth/plugins";
import { AUTH_PATH, type Config } from "../config";
import type { Database } from "../db/client";
import * as schema from "../db/schema";
import type { Tier } from "../db/schema";

/**
 * Builds better-auth over the request's own Drizzle instance, so auth and the
 * app's routes share one connection. Built per request because the instance
 * holds that connection; nothing here is cached across requests.
 */
export function createAuth(db: Database, config: Config) {
  return betterAuth({
    appName: "edge-auth",
    baseURL: config.origin,
    basePath: AUTH_PATH,
    secret: config.secret,
    trustedOrigins: config.trustedOrigins,
    database: drizzleAdapter(db, { provider: "pg", schema }),
    emailAndPassword: { enabled: true },
    user: {
      additionalFields: {
        // input: false: no sign-up or update-user body can set it; only the
        // admin tier route changes it (and records who did).
        tier: { type: ["anonymous", "free", "member"], required: false, defaultValue: "free", input: false },
      },
    },
    databaseHooks: {
      user: {
        create: {
          // The anonymous plugin creates its users through the same path as
          // sign-up; they start one tier below everyone else.
          before: async (user) => (user.isAnonymous ? { data: { ...user, tier: "anonymous" satisfies Tier } } : undefined),
        },
      },
    },
    plugins: [
      // POST /api/auth/sign-in/anonymous. On sign-up or sign-in from an
      // anonymous session the plugin deletes the anonymous user, and with it
      // (by cascade) its sessions, accounts and tier history. An app that
      // stores data per user moves it to the new user in onLinkAccount.
      anonymous({ emailDomainName: "anonymous.invalid" }),
      // Roles (user.role), bans and the /api/auth/admin/* endpoints. Admins
      // are users with role "admin", or the ids listed in ADMIN_USER_IDS.
      admin({ adminUserIds: config.adminUserIds }),
    ],
    advanced: {
      // On Cloudflare the client address is cf-connecting-ip; x-forwarded-for
      // is whatever the client chose to send.
      ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] },
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;
export type AuthSession = Auth["$Infer"]["Session"];
