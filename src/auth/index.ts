import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { AUTH_PATH, type Config } from "../config";
import type { Database } from "../db/client";
import * as schema from "../db/schema";

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
        // Set only by the app (admin tier changes), never by a request body.
        tier: { type: "string", required: false, defaultValue: "free", input: false },
      },
    },
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
