import { z } from "zod";

const MIN_SECRET_LENGTH = 32;
/** The placeholder in .dev.vars.example: a copy of it is no secret. */
export const PLACEHOLDER_SECRET = "change-me-to-at-least-32-random-characters";
/**
 * Estimated bits in a secret, from how often each character occurs (Shannon
 * entropy times length). It underestimates real randomness, and that is the
 * point: 32 random hex digits score about 120, one character repeated 0.
 */
const MIN_SECRET_BITS = 96;
export const GENERATE_SECRET = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

export function secretBits(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...value].length;
  let bits = 0;
  for (const n of counts.values()) bits -= n * Math.log2(n / length);
  return bits;
}

/** A short string over and over ("passwordpassword..."): no more random than the string itself. */
function isRepetition(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < value.length && repeats; i++) repeats = value[i] === value[i - period];
    if (repeats) return true;
  }
  return false;
}

/** Refuses what cannot be a generated secret; not a strength meter. */
export function lowVarietySecret(value: string): boolean {
  return secretBits(value) < MIN_SECRET_BITS || new Set(value).size < 8 || isRepetition(value);
}
export const API_PATH = "/api";
export const AUTH_PATH = `${API_PATH}/auth`;

export const EMAIL_TRANSPORTS = ["http", "cloudflare"] as const;
export type EmailTransport = (typeof EMAIL_TRANSPORTS)[number];
export const DELETE_ACCOUNT_CONFIRMATIONS = ["email", "fresh-session"] as const;
export type DeleteAccountConfirmation = (typeof DELETE_ACCOUNT_CONFIRMATIONS)[number];
export const RATE_LIMIT_MODES = ["on", "off"] as const;

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** What an unset optional setting means; wrangler.toml [vars] documents the same values. */
export const DEFAULTS = {
  emailTransport: "http" as EmailTransport,
  emailResendInterval: MINUTE,
  requireEmailVerification: true,
  autoSignInAfterVerification: true,
  emailVerificationExpiresIn: HOUR,
  resetPasswordExpiresIn: HOUR,
  sessionExpiresIn: 7 * DAY,
  sessionUpdateAge: DAY,
  sessionFreshAge: DAY,
  deleteAccountConfirmation: "email" as DeleteAccountConfirmation,
  signInMaxFailures: 20,
  signInLockout: 15 * MINUTE,
  nameMaxLength: 200,
  rateLimits: true,
  sessionCacheMaxAge: 5 * MINUTE,
  jwtExpiresIn: 15 * MINUTE,
  passwordHashMemoryKib: 19456,
  passwordHashIterations: 2,
  passwordMaxLength: 128,
  emailOtpExpiresIn: 10 * MINUTE,
  magicLinkExpiresIn: 10 * MINUTE,
  passwordlessSignUp: true,
  trustDeviceMaxAge: 30 * DAY,
};

/**
 * OWASP's minimum for argon2id (m = 19 MiB, t = 2, p = 1); config refuses
 * less. The upper bounds keep one hash inside a Worker's 128 MB and its CPU
 * budget.
 */
export const PASSWORD_HASH_LIMITS = {
  memoryKib: { min: 19456, max: 65536 },
  iterations: { min: 2, max: 10 },
  maxLength: { min: 16, max: 1024 },
};

// Messages name the variable and the rule, never the value: a wrong
// APP_SECRET must not end up in logs or in a response.
const ConfigSchema = z.object({
  APP_SECRET: z
    .string({ error: "APP_SECRET is required" })
    .min(1, { error: "APP_SECRET is required", abort: true })
    .min(MIN_SECRET_LENGTH, { error: `APP_SECRET must be at least ${MIN_SECRET_LENGTH} characters (generate one with: ${GENERATE_SECRET})`, abort: true })
    .refine((value) => !value.toLowerCase().includes("change-me"), {
      error: `APP_SECRET is the placeholder from .dev.vars.example (generate one with: ${GENERATE_SECRET})`,
      abort: true,
    })
    .refine((value) => !lowVarietySecret(value), {
      error: `APP_SECRET has too little variety to be random, e.g. a repeated character or word (generate one with: ${GENERATE_SECRET})`,
    }),
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
    .string({ error: "TRUSTED_ORIGINS must be a comma-separated list of http(s) origins" })
    .optional()
    .transform((value, ctx) => {
      const origins: string[] = [];
      for (const entry of (value ?? "").split(",")) {
        const trimmed = entry.trim();
        if (!trimmed) continue;
        const url = URL.parse(trimmed);
        // Exact origins only: better-auth would read "*" as a wildcard while
        // the CORS check compares exactly, and the two must agree.
        if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || trimmed.includes("*")) {
          ctx.addIssue({ code: "custom", message: "TRUSTED_ORIGINS must be a comma-separated list of http(s) origins" });
          return z.NEVER;
        }
        origins.push(url.origin);
      }
      return origins;
    }),
  ADMIN_USER_IDS: z
    .string({ error: "ADMIN_USER_IDS must be a comma-separated list of user ids" })
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    ),
});

// wrangler.toml may give a [vars] value as a TOML boolean or number; every
// setting below is read as text so such a value gets the named message too.
const text = z.unknown().transform((value) => (value === undefined || value === null || value === "" ? undefined : String(value).trim()));

const UNITS: Record<string, number> = { s: 1, m: MINUTE, h: HOUR, d: DAY };

/** 90 → "90s", 3600 → "1h": the largest unit that divides evenly. */
function formatDuration(seconds: number): string {
  for (const unit of ["d", "h", "m"]) if (seconds > 0 && seconds % UNITS[unit]! === 0) return `${seconds / UNITS[unit]!}${unit}`;
  return `${seconds}s`;
}

/** A number of seconds, written `3600` or with a unit: `90m`, `12h`, `7d`. */
function duration(name: string, fallback: number, min: number, max: number) {
  return text.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const match = /^(\d{1,9})\s*([smhd])?$/i.exec(value);
    const seconds = match ? Number(match[1]) * UNITS[(match[2] ?? "s").toLowerCase()]! : Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must be a duration from ${formatDuration(min)} to ${formatDuration(max)}: seconds, or a number with s, m, h or d (e.g. 90m, 7d)`,
      });
      return z.NEVER;
    }
    return seconds;
  });
}

/** A whole number from `min` to `max`; `hint` says what the bounds mean. */
function integer(name: string, fallback: number, min: number, max: number, hint = "") {
  return text.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const number = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
    if (!(number >= min && number <= max)) {
      ctx.addIssue({ code: "custom", message: `${name} must be a whole number from ${min} to ${max}${hint}` });
      return z.NEVER;
    }
    return number;
  });
}

function flag(name: string, fallback: boolean) {
  return text.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (lower === "true" || lower === "false") return lower === "true";
    ctx.addIssue({ code: "custom", message: `${name} must be true or false` });
    return z.NEVER;
  });
}

function choice<const T extends readonly string[]>(name: string, values: T, fallback: T[number]) {
  return text.transform((value, ctx): T[number] => {
    if (value === undefined) return fallback;
    if ((values as readonly string[]).includes(value)) return value as T[number];
    ctx.addIssue({ code: "custom", message: `${name} must be one of: ${values.join(", ")}` });
    return z.NEVER;
  });
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1: addresses that never leave the machine. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1";
}

// "no-reply@example.com" or "Example <no-reply@example.com>".
const ADDRESS = /^[^\s@<>",]+@[^\s@<>",]+$/;
const NAMED_ADDRESS = /^[^<>]*<\s*([^<>]+?)\s*>$/;

const AccountSchema = z
  .object({
    EMAIL_TRANSPORT: choice("EMAIL_TRANSPORT", EMAIL_TRANSPORTS, DEFAULTS.emailTransport),
    EMAIL_FROM: text.transform((value, ctx) => {
      if (value === undefined) {
        ctx.addIssue({ code: "custom", message: "EMAIL_FROM is required" });
        return z.NEVER;
      }
      const address = NAMED_ADDRESS.exec(value)?.[1] ?? value;
      if (!ADDRESS.test(address)) {
        ctx.addIssue({
          code: "custom",
          message: 'EMAIL_FROM must be an email address, optionally with a name: "Example <no-reply@example.com>"',
        });
        return z.NEVER;
      }
      return value;
    }),
    EMAIL_API_URL: text.transform((value, ctx) => {
      if (value === undefined) return undefined;
      const url = URL.parse(value);
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
        ctx.addIssue({ code: "custom", message: "EMAIL_API_URL must be an absolute http(s) URL without query or fragment" });
        return z.NEVER;
      }
      return url;
    }),
    EMAIL_API_KEY: text,
    EMAIL_RESEND_INTERVAL: duration("EMAIL_RESEND_INTERVAL", DEFAULTS.emailResendInterval, 0, DAY),
    REQUIRE_EMAIL_VERIFICATION: flag("REQUIRE_EMAIL_VERIFICATION", DEFAULTS.requireEmailVerification),
    AUTO_SIGN_IN_AFTER_VERIFICATION: flag("AUTO_SIGN_IN_AFTER_VERIFICATION", DEFAULTS.autoSignInAfterVerification),
    EMAIL_VERIFICATION_EXPIRES_IN: duration("EMAIL_VERIFICATION_EXPIRES_IN", DEFAULTS.emailVerificationExpiresIn, 5 * MINUTE, 7 * DAY),
    RESET_PASSWORD_EXPIRES_IN: duration("RESET_PASSWORD_EXPIRES_IN", DEFAULTS.resetPasswordExpiresIn, 5 * MINUTE, DAY),
    // Cookies cannot outlive 400 days, so neither can a session.
    SESSION_EXPIRES_IN: duration("SESSION_EXPIRES_IN", DEFAULTS.sessionExpiresIn, 5 * MINUTE, 400 * DAY),
    SESSION_UPDATE_AGE: duration("SESSION_UPDATE_AGE", DEFAULTS.sessionUpdateAge, 0, 400 * DAY),
    // Not 0: better-auth reads 0 as "skip the freshness check", not "never fresh".
    SESSION_FRESH_AGE: duration("SESSION_FRESH_AGE", DEFAULTS.sessionFreshAge, MINUTE, 400 * DAY),
    DELETE_ACCOUNT_CONFIRMATION: choice("DELETE_ACCOUNT_CONFIRMATION", DELETE_ACCOUNT_CONFIRMATIONS, DEFAULTS.deleteAccountConfirmation),
    // How long a signed session cookie answers for the database; 0 turns it off.
    SESSION_CACHE_MAX_AGE: duration("SESSION_CACHE_MAX_AGE", DEFAULTS.sessionCacheMaxAge, 0, HOUR),
    JWT_EXPIRES_IN: duration("JWT_EXPIRES_IN", DEFAULTS.jwtExpiresIn, MINUTE, DAY),
    PASSWORD_HASH_MEMORY_KIB: integer(
      "PASSWORD_HASH_MEMORY_KIB",
      DEFAULTS.passwordHashMemoryKib,
      PASSWORD_HASH_LIMITS.memoryKib.min,
      PASSWORD_HASH_LIMITS.memoryKib.max,
      " (KiB; OWASP's minimum for argon2id is 19456)",
    ),
    PASSWORD_HASH_ITERATIONS: integer(
      "PASSWORD_HASH_ITERATIONS",
      DEFAULTS.passwordHashIterations,
      PASSWORD_HASH_LIMITS.iterations.min,
      PASSWORD_HASH_LIMITS.iterations.max,
      " (OWASP's minimum for argon2id at 19456 KiB is 2)",
    ),
    PASSWORD_MAX_LENGTH: integer(
      "PASSWORD_MAX_LENGTH",
      DEFAULTS.passwordMaxLength,
      PASSWORD_HASH_LIMITS.maxLength.min,
      PASSWORD_HASH_LIMITS.maxLength.max,
    ),
    SIGN_IN_MAX_FAILURES: integer("SIGN_IN_MAX_FAILURES", DEFAULTS.signInMaxFailures, 1, 1000),
    // At most 15 minutes: a lock must never keep the owner out for long.
    SIGN_IN_LOCKOUT: duration("SIGN_IN_LOCKOUT", DEFAULTS.signInLockout, MINUTE, 15 * MINUTE),
    NAME_MAX_LENGTH: integer("NAME_MAX_LENGTH", DEFAULTS.nameMaxLength, 1, 1000),
    // "off" only for local development (npm run dev sets it); npm run deploy refuses it.
    RATE_LIMITS: choice("RATE_LIMITS", RATE_LIMIT_MODES, DEFAULTS.rateLimits ? "on" : "off"),
    // Short: a code is 6 digits, and a magic link travels in a GET's query.
    EMAIL_OTP_EXPIRES_IN: duration("EMAIL_OTP_EXPIRES_IN", DEFAULTS.emailOtpExpiresIn, MINUTE, HOUR),
    MAGIC_LINK_EXPIRES_IN: duration("MAGIC_LINK_EXPIRES_IN", DEFAULTS.magicLinkExpiresIn, MINUTE, HOUR),
    PASSWORDLESS_SIGN_UP: flag("PASSWORDLESS_SIGN_UP", DEFAULTS.passwordlessSignUp),
    TWO_FACTOR_TRUST_DEVICE_MAX_AGE: duration("TWO_FACTOR_TRUST_DEVICE_MAX_AGE", DEFAULTS.trustDeviceMaxAge, HOUR, 90 * DAY),
  })
  .superRefine((value, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message });
    if (value.EMAIL_TRANSPORT === "http") {
      const url = value.EMAIL_API_URL;
      if (!url) {
        issue("EMAIL_API_URL is required when EMAIL_TRANSPORT is http");
      } else if (!isLoopback(url.hostname)) {
        // The API key travels in a header: only over TLS once it leaves the machine.
        if (url.protocol !== "https:") issue("EMAIL_API_URL must use https unless it is a loopback address");
        if (!value.EMAIL_API_KEY) issue("EMAIL_API_KEY is required when EMAIL_API_URL is not a loopback address");
      }
    }
    if (value.SESSION_UPDATE_AGE >= value.SESSION_EXPIRES_IN) {
      issue("SESSION_UPDATE_AGE must be shorter than SESSION_EXPIRES_IN");
    }
  });

/** An id better-auth puts in /callback/<id> and account.provider_id: lowercase, no clash with the built-in ones. */
const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const RESERVED_PROVIDER_IDS = new Set(["github", "google", "credential", "email-otp", "magic-link", "anonymous"]);

// Each provider is on only when all of its variables are set; some but not
// all is a half-configured provider, named by the variable that is missing.
const ProviderSchema = z
  .object({
    GITHUB_CLIENT_ID: text,
    GITHUB_CLIENT_SECRET: text,
    GOOGLE_CLIENT_ID: text,
    GOOGLE_CLIENT_SECRET: text,
    OIDC_ISSUER: text,
    OIDC_CLIENT_ID: text,
    OIDC_CLIENT_SECRET: text,
    OIDC_PROVIDER_ID: text,
    OIDC_NAME: text,
  })
  .superRefine((value, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message });
    const group = (label: string, names: (keyof typeof value)[]) => {
      const set = names.filter((name) => value[name] !== undefined);
      if (set.length > 0 && set.length < names.length) {
        const missing = names.filter((name) => value[name] === undefined);
        // Starts with the missing variable's name: npm run deploy reads it there.
        issue(
          `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} required when ${set.join(" and ")} ${set.length > 1 ? "are" : "is"} set (${label} sign-in is half-configured)`,
        );
      }
    };
    group("GitHub", ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"]);
    group("Google", ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"]);
    group("OpenID Connect", ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]);
    if (value.OIDC_ISSUER !== undefined) {
      const url = URL.parse(value.OIDC_ISSUER);
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
        issue("OIDC_ISSUER must be an absolute http(s) URL without query or fragment");
      } else if (url.protocol !== "https:" && !isLoopback(url.hostname)) {
        // The code exchange carries the client secret, and the ID token is
        // trusted because it comes straight from the token endpoint over TLS.
        issue("OIDC_ISSUER must use https unless it is a loopback address");
      }
    }
    const id = value.OIDC_PROVIDER_ID;
    if (id !== undefined && (!PROVIDER_ID.test(id) || RESERVED_PROVIDER_IDS.has(id))) {
      issue("OIDC_PROVIDER_ID must be 1 to 32 lowercase letters, digits or dashes, and not github, google or credential");
    }
  });

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** Sign-in providers; each is present only when fully configured. */
export interface ProvidersConfig {
  github?: OAuthClient;
  google?: OAuthClient;
  /** Any OpenID Connect provider, found through its discovery document. */
  oidc?: OAuthClient & {
    /** In the callback path (/api/auth/callback/<id>) and account.provider_id. */
    id: string;
    /** What the sign-in button says: "Sign in with <name>". */
    name: string;
    /** The issuer, without a trailing slash. */
    issuer: string;
  };
}

export interface MailConfig {
  transport: EmailTransport;
  /** The From header, e.g. `Example <no-reply@example.com>`. */
  from: string;
  /** Base URL of the Resend-compatible API (`POST {apiUrl}/emails`), without a trailing slash. */
  apiUrl?: string;
  apiKey?: string;
  /** At most one mail of a kind to one address per this many seconds; 0 turns the limit off. */
  resendInterval: number;
}

export interface Config {
  secret: string;
  /** Origin of the public URL, e.g. `https://auth.example.com`. */
  origin: string;
  /** The public origin first, then TRUSTED_ORIGINS, without duplicates. */
  trustedOrigins: string[];
  /** Users who are admins whatever their role column says (bootstrap). */
  adminUserIds: string[];
  mail: MailConfig;
  verification: {
    /** Sign-in is refused until the email is verified. */
    required: boolean;
    /** Opening the verification link signs the user in. */
    autoSignIn: boolean;
    /** Lifetime of a verification (and change-email) link, in seconds. */
    expiresIn: number;
  };
  /** Lifetime of a password reset link, in seconds. */
  resetPasswordExpiresIn: number;
  /** All in seconds: lifetime, sliding refresh step, and how recent a sign-in counts as fresh. */
  session: { expiresIn: number; updateAge: number; freshAge: number };
  deleteAccountConfirmation: DeleteAccountConfirmation;
  /** Seconds a session cookie cache answers without the database; 0 = off. */
  sessionCacheMaxAge: number;
  /** Lifetime of a JWT from /api/auth/token, in seconds. */
  jwtExpiresIn: number;
  /** argon2id cost (p = 1) and the longest password accepted, refused before hashing. */
  password: { memoryKib: number; iterations: number; maxLength: number };
  /** Per-account brute-force protection (src/auth/sign-in-guard.ts). */
  signIn: { maxFailures: number; lockout: number };
  /** Longest accepted user name, in characters. */
  nameMaxLength: number;
  /** Per-client limits on the credential endpoints (RATE_LIMITS); off only in local development. */
  rateLimits: boolean;
  /** Email one-time codes and magic links (src/auth/passwordless.ts). */
  passwordless: {
    /** Lifetime of a sign-in code, in seconds. */
    otpExpiresIn: number;
    /** Lifetime of a magic link, in seconds. */
    magicLinkExpiresIn: number;
    /** A code or link for an address without an account creates the account. */
    signUp: boolean;
  };
  /** TOTP two-factor (src/auth/two-factor.ts). */
  twoFactor: {
    /** How long "trust this device" skips the second factor, in seconds. */
    trustDeviceMaxAge: number;
  };
  /** Social and OpenID Connect sign-in (src/auth/providers.ts). */
  providers: ProvidersConfig;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: ConfigError };

const ACCOUNT_VARIABLES = Object.keys(AccountSchema.shape) as (keyof typeof AccountSchema.shape)[];
const PROVIDER_VARIABLES = Object.keys(ProviderSchema.shape) as (keyof typeof ProviderSchema.shape)[];

type ConfigInput = Partial<
  Record<
    | "APP_SECRET"
    | "AUTH_BASE_URL"
    | "TRUSTED_ORIGINS"
    | "ADMIN_USER_IDS"
    | (typeof ACCOUNT_VARIABLES)[number]
    | (typeof PROVIDER_VARIABLES)[number],
    unknown
  >
>;

export function parseConfig(env: ConfigInput): ConfigResult {
  const parsed = ConfigSchema.safeParse({
    APP_SECRET: env.APP_SECRET,
    AUTH_BASE_URL: env.AUTH_BASE_URL,
    TRUSTED_ORIGINS: env.TRUSTED_ORIGINS || undefined,
    ADMIN_USER_IDS: env.ADMIN_USER_IDS || undefined,
  });
  // Parsed on its own so its problems are listed alongside the ones above.
  const account = AccountSchema.safeParse(Object.fromEntries(ACCOUNT_VARIABLES.map((name) => [name, env[name]])));
  const providers = ProviderSchema.safeParse(Object.fromEntries(PROVIDER_VARIABLES.map((name) => [name, env[name]])));
  if (!parsed.success || !account.success || !providers.success) {
    const issues = [...(parsed.error?.issues ?? []), ...(account.error?.issues ?? []), ...(providers.error?.issues ?? [])];
    return { ok: false, error: new ConfigError(issues.map((issue) => issue.message).join("; ")) };
  }
  const { APP_SECRET, AUTH_BASE_URL, TRUSTED_ORIGINS, ADMIN_USER_IDS } = parsed.data;
  const a = account.data;
  const p = providers.data;
  return {
    ok: true,
    config: {
      secret: APP_SECRET,
      origin: AUTH_BASE_URL,
      trustedOrigins: [...new Set([AUTH_BASE_URL, ...TRUSTED_ORIGINS])],
      adminUserIds: ADMIN_USER_IDS,
      mail: {
        transport: a.EMAIL_TRANSPORT,
        from: a.EMAIL_FROM,
        apiUrl: a.EMAIL_API_URL?.href.replace(/\/+$/, ""),
        apiKey: a.EMAIL_API_KEY,
        resendInterval: a.EMAIL_RESEND_INTERVAL,
      },
      verification: {
        required: a.REQUIRE_EMAIL_VERIFICATION,
        autoSignIn: a.AUTO_SIGN_IN_AFTER_VERIFICATION,
        expiresIn: a.EMAIL_VERIFICATION_EXPIRES_IN,
      },
      resetPasswordExpiresIn: a.RESET_PASSWORD_EXPIRES_IN,
      session: { expiresIn: a.SESSION_EXPIRES_IN, updateAge: a.SESSION_UPDATE_AGE, freshAge: a.SESSION_FRESH_AGE },
      deleteAccountConfirmation: a.DELETE_ACCOUNT_CONFIRMATION,
      sessionCacheMaxAge: a.SESSION_CACHE_MAX_AGE,
      jwtExpiresIn: a.JWT_EXPIRES_IN,
      password: { memoryKib: a.PASSWORD_HASH_MEMORY_KIB, iterations: a.PASSWORD_HASH_ITERATIONS, maxLength: a.PASSWORD_MAX_LENGTH },
      signIn: { maxFailures: a.SIGN_IN_MAX_FAILURES, lockout: a.SIGN_IN_LOCKOUT },
      nameMaxLength: a.NAME_MAX_LENGTH,
      rateLimits: a.RATE_LIMITS === "on",
      passwordless: {
        otpExpiresIn: a.EMAIL_OTP_EXPIRES_IN,
        magicLinkExpiresIn: a.MAGIC_LINK_EXPIRES_IN,
        signUp: a.PASSWORDLESS_SIGN_UP,
      },
      twoFactor: { trustDeviceMaxAge: a.TWO_FACTOR_TRUST_DEVICE_MAX_AGE },
      providers: providerConfig(p),
    },
  };
}

function providerConfig(p: z.output<typeof ProviderSchema>): ProvidersConfig {
  const providers: ProvidersConfig = {};
  if (p.GITHUB_CLIENT_ID && p.GITHUB_CLIENT_SECRET) providers.github = { clientId: p.GITHUB_CLIENT_ID, clientSecret: p.GITHUB_CLIENT_SECRET };
  if (p.GOOGLE_CLIENT_ID && p.GOOGLE_CLIENT_SECRET) providers.google = { clientId: p.GOOGLE_CLIENT_ID, clientSecret: p.GOOGLE_CLIENT_SECRET };
  if (p.OIDC_ISSUER && p.OIDC_CLIENT_ID && p.OIDC_CLIENT_SECRET) {
    const issuer = p.OIDC_ISSUER.replace(/\/+$/, "");
    providers.oidc = {
      id: p.OIDC_PROVIDER_ID ?? "oidc",
      name: p.OIDC_NAME ?? new URL(issuer).hostname,
      issuer,
      clientId: p.OIDC_CLIENT_ID,
      clientSecret: p.OIDC_CLIENT_SECRET,
    };
  }
  return providers;
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
