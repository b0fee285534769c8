import { z } from "zod";

const MIN_SECRET_LENGTH = 32;
export const API_PATH = "/api";
export const AUTH_PATH = `${API_PATH}/auth`;

// Messages name the variable and the rule, never the value: a wrong
// APP_SECRET must not end up in logs or in a response.
const ConfigSchema = z.object({
  APP_SECRET: z
    .string({ error: "APP_SECRET is required" })
    .min(1, { error: "APP_SECRET is required", abort: true })
    .min(MIN_SECRET_LENGTH, `APP_SECRET must be at least ${MIN_SECRET_LENGTH} characters`),
  AUTH_BASE_URL: z
    .string({ error: "AUTH_BASE_URL is required" })
    .min(1, { error: "AUTH_BASE_URL is required", abort: true })
    .transform((value, ctx) => {
      const url = URL.parse(value);
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        ctx.addIssue({ code: "custom", message: "AUTH_BASE_URL must be an absolute http(s) URL" });
        return z.NEVER;
      }
      // The Worker serves its routes under /api; a different path would leave
      // better-auth generating links to routes that do not exist.
      if (url.pathname.replace(/\/+$/, "") !== API_PATH || url.search || url.hash) {
        ctx.addIssue({
          code: "custom",
          message: "AUTH_BASE_URL must be the public origin followed by /api (e.g. https://auth.example.com/api)",
        });
        return z.NEVER;
      }
      return url.origin;
    }),
  TRUSTED_ORIGINS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const origins: string[] = [];
      for (const entry of (value ?? "").split(",")) {
        const trimmed = entry.trim();
        if (!trimmed) continue;
        const url = URL.parse(trimmed);
        if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
          ctx.addIssue({ code: "custom", message: "TRUSTED_ORIGINS must be a comma-separated list of http(s) origins" });
          return z.NEVER;
        }
        origins.push(url.origin);
      }
      return origins;
    }),
  ADMIN_USER_IDS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    ),
});

export interface Config {
  secret: string;
  /** Origin of the public URL, e.g. `https://auth.example.com`. */
  origin: string;
  /** The public origin first, then TRUSTED_ORIGINS, without duplicates. */
  trustedOrigins: string[];
  /** Users who are admins whatever their role column says (bootstrap). */
  adminUserIds: string[];
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: ConfigError };

type ConfigInput = Partial<Record<"APP_SECRET" | "AUTH_BASE_URL" | "TRUSTED_ORIGINS" | "ADMIN_USER_IDS", unknown>>;

export function parseConfig(env: ConfigInput): ConfigResult {
  const parsed = ConfigSchema.safeParse({
    APP_SECRET: env.APP_SECRET,
    AUTH_BASE_URL: env.AUTH_BASE_URL,
    TRUSTED_ORIGINS: env.TRUSTED_ORIGINS || undefined,
    ADMIN_USER_IDS: env.ADMIN_USER_IDS || undefined,
  });
  if (!parsed.success) {
    const message = parsed.error.issues.map((issue) => issue.message).join("; ");
    return { ok: false, error: new ConfigError(message) };
  }
  const { APP_SECRET, AUTH_BASE_URL, TRUSTED_ORIGINS, ADMIN_USER_IDS } = parsed.data;
  return {
    ok: true,
    config: {
      secret: APP_SECRET,
      origin: AUTH_BASE_URL,
      trustedOrigins: [...new Set([AUTH_BASE_URL, ...TRUSTED_ORIGINS])],
      adminUserIds: ADMIN_USER_IDS,
    },
  };
}

// The env object is fixed for the life of an isolate, so its config is parsed
// once; a WeakMap keys it by identity without holding the env alive.
const cache = new WeakMap<object, ConfigResult>();

export function loadConfig(env: ConfigInput): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
    if (!result.ok) console.error(`config_invalid: ${result.error.message}`);
  }
  return result;
}
