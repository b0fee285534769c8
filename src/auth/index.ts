import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { admin, anonymous, bearer, jwt, openAPI } from "better-auth/plugins";
import { AUTH_PATH, type Config } from "../config";
import { requestDb } from "../db/request-db";
import * as schema from "../db/schema";
import type { Tier } from "../db/schema";
import { createMailer } from "../mail";
import { deleteUserCascade, deleteUserTokens } from "./delete-account";
import { accountMails, DELETE_ACCOUNT_LINK_EXPIRES_IN } from "./emails";
import { accountFollowUp, accountPolicy } from "./hooks";
import { USER_FIELDS } from "./fields";
import { authLogger } from "./logger";
import { passwordHasher } from "./password";
import { SESSION_CACHE_STRATEGY } from "./session-cache";
import { DEFAULT_ROLE, pendingRegistrations, syntheticSignUpUser } from "./registration";
import { sessionIds } from "./session-ids";
import { signInGuard } from "./sign-in-guard";
import { hashSessionTokens } from "./session-tokens";
import { rememberUserRows } from "./user-rows";
import { passwordless, PASSWORDLESS_DISABLED_PATHS } from "./passwordless";
import { twoFactorSignIn } from "./two-factor";
import { discoveryReady, encryptIdTokens, prepareDiscovery, providerOptions } from "./providers";
import { passkeys } from "./passkeys";
import { authRequest, requestLocal } from "./request-scope";

const instances = new WeakMap<Config, { auth: Auth; discoveryReady: boolean }>();

/**
 * better-auth for this config, built once per isolate: building it (its
 * endpoints, router, schema checks and every plugin) cost more CPU than a
 * request answered from the session cache spends in all. Serve requests with
 * it only inside runWithConnection (its queries go to the request's own
 * connection, shared with the app's routes) and runAsAuthRequest (mail's
 * waitUntil and bindings, and the per-request state of its hooks).
 */
export function authFor(config: Config): Auth {
  const built = instances.get(config);
  // An instance built before the OIDC discovery document arrived has no
  // endpoints for that provider; the first request after it arrives rebuilds.
  const ready = discoveryReady(config);
  if (built && (built.discoveryReady || !ready)) return built.auth;
  const auth = createAuth(config);
  instances.set(config, { auth, discoveryReady: ready });
  // A setup that fails is not kept: the next request builds again.
  auth.$context.catch(() => {
    if (instances.get(config)?.auth === auth) instances.delete(config);
  });
  return auth;
}

/** What a request does before it uses authFor: fetch the OIDC discovery document if it is missing. */
export const prepareAuth = prepareDiscovery;

function createAuth(config: Config) {
  const db = requestDb;
  const guard = signInGuard(db, config.signIn);
  const registrations = pendingRegistrations(db);
  // The mailer over the serving request's env (a send_email binding is the env's).
  const mailer = requestLocal(() => createMailer(config.mail, authRequest().bindings));
  const mails = accountMails({
    db,
    config,
    mailer,
    waitUntil: (promise) => authRequest().waitUntil(promise),
    onVerificationLink: registrations.afterVerificationLink,
  });
  const hasher = passwordHasher(db, config.password);
  const providers = providerOptions(config);
  return betterAuth({
    appName: "edge-auth",
    baseURL: config.origin,
    basePath: AUTH_PATH,
    secret: config.secret,
    trustedOrigins: config.trustedOrigins,
    // transaction: better-auth's multi-step writes (sign-up, password reset:
    // spend the token + revoke sessions + set the password) commit or fail
    // as one. The request's single connection carries the transaction.
    // Session tokens are hashed at rest at this one boundary (session-tokens.ts);
    // a pending registration is replaced inside sign-up's transaction (registration.ts).
    // A user row read once is not read again by id in the same request unless
    // something was written since (user-rows.ts).
    database: hashSessionTokens(registrations.adapter(rememberUserRows(drizzleAdapter(db, { provider: "pg", schema, transaction: true })))),
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: config.verification.required,
      sendResetPassword: mails.sendResetPassword,
      resetPasswordTokenExpiresIn: config.resetPasswordExpiresIn,
      revokeSessionsOnPasswordReset: true,
      // argon2id (src/auth/password.ts): sign-up, sign-in, reset, change and
      // verify-password all hash through it; stock scrypt hashes still verify
      // and are replaced on sign-in.
      password: { hash: hasher.hash, verify: hasher.verify },
      // Checked by better-auth before any hashing.
      maxPasswordLength: config.password.maxLength,
      // A sign-up for a taken address answers with a made-up user; this gives
      // it what a real new user gets (registration.ts).
      customSyntheticUser: syntheticSignUpUser,
    },
    emailVerification: {
      sendVerificationEmail: mails.sendVerificationEmail,
      // Sent whether or not verification is required, so an address can
      // always be proven.
      sendOnSignUp: true,
      // Throttled per address in the mail callback (EMAIL_RESEND_INTERVAL).
      sendOnSignIn: true,
      autoSignInAfterVerification: config.verification.autoSignIn,
      expiresIn: config.verification.expiresIn,
    },
    session: {
      expiresIn: config.session.expiresIn,
      updateAge: config.session.updateAge,
      freshAge: config.session.freshAge,
      // A signed copy of the session and user in a cookie answers
      // get-session and requireAuth() without the database for this long
      // (src/middleware/session.ts reads it without building this instance).
      cookieCache: {
        enabled: config.sessionCacheMaxAge > 0,
        maxAge: config.sessionCacheMaxAge || undefined,
        strategy: SESSION_CACHE_STRATEGY,
      },
    },
    // Reset and deletion tokens are stored as SHA-256 hashes; the raw token
    // exists only in the mail. (Verification links are signed JWTs and are
    // not stored at all.)
    verification: {
      storeIdentifier: "hashed",
      // better-auth would sweep expired rows on lookups; the hourly cron
      // does it instead, off the request path.
      disableCleanup: true,
    },
    user: {
      // tier (src/auth/fields.ts, shared with the client package).
      additionalFields: USER_FIELDS,
      // POST /change-email mails a link to the new address; nothing changes
      // until it is opened (better-auth's flow without a confirmation to the
      // old address).
      changeEmail: { enabled: true },
      deleteUser: {
        enabled: true,
        // "email": every deletion needs the emailed link; "fresh-session":
        // a session younger than SESSION_FRESH_AGE (or the password) is enough.
        sendDeleteAccountVerification:
          config.deleteAccountConfirmation === "email" ? mails.sendDeleteAccountVerification : undefined,
        deleteTokenExpiresIn: DELETE_ACCOUNT_LINK_EXPIRES_IN,
        beforeDelete: deleteUserCascade(db),
      },
    },
    // GitHub, Google and an OpenID Connect provider, each when configured (providers.ts).
    socialProviders: providers.socialProviders,
    account: providers.account,
    hooks: {
      before: accountPolicy(db, { verificationRequired: config.verification.required, nameMaxLength: config.nameMaxLength, guard, registrations }),
      after: accountFollowUp(db, mails, { guard, registrations }, hasher),
    },
    databaseHooks: {
      user: {
        create: {
          // The anonymous plugin creates its users through the same path as
          // sign-up; they start one tier below everyone else.
          before: async (user) => (user.isAnonymous ? { data: { ...user, tier: "anonymous" satisfies Tier } } : undefined),
        },
        delete: { before: deleteUserTokens(db) },
      },
      account: encryptIdTokens(config.secret),
    },
    plugins: [
      // POST /api/auth/sign-in/anonymous. On sign-up or sign-in from an
      // anonymous session the plugin deletes the anonymous user, and with it
      // (by cascade) its sessions, accounts and tier history. An app that
      // stores data per user moves it to the new user in onLinkAccount.
      anonymous({ emailDomainName: "anonymous.invalid" }),
      // Roles (user.role), bans and the /api/auth/admin/* endpoints. Admins
      // are users with role "admin", or the ids listed in ADMIN_USER_IDS.
      admin({ adminUserIds: config.adminUserIds, defaultRole: DEFAULT_ROLE }),
      // Sessions by id: listings without tokens, POST /revoke-session-by-id.
      sessionIds(),
      // Its document is merged into GET /api/openapi.json; its own reference
      // page would load Scalar from a CDN, so /api/docs serves ours instead.
      openAPI({ disableDefaultReference: true }),
      // GET /api/auth/token: a short-lived JWT for other services, verified
      // against GET /api/auth/jwks (keys in the jwks table, private keys
      // encrypted with APP_SECRET). No JWT on get-session responses: signing
      // one there would cost a key lookup on every session read.
      jwt({
        disableSettingJwtHeader: true,
        jwks: { keyPairConfig: { alg: "EdDSA", crv: "Ed25519" } },
        jwt: {
          issuer: config.origin,
          audience: config.origin,
          // A number would be read as an absolute expiry time.
          expirationTime: `${config.jwtExpiresIn}s`,
          definePayload: ({ user }) => ({
            email: user.email,
            emailVerified: user.emailVerified,
            tier: (user as { tier?: Tier }).tier,
            role: (user as { role?: string | null }).role ?? "user",
          }),
        },
      }),
      // `Authorization: Bearer <session token>` for native clients, instead
      // of the cookie; sign-in answers the token in its body.
      bearer(),
      // Sign-in by emailed code and by magic link (passwordless.ts).
      ...passwordless({ db, config, mails, guard }),
      // TOTP second factor with backup codes (two-factor.ts); after the
      // sign-in plugins, so its step also covers them.
      ...twoFactorSignIn(db, config),
      ...providers.plugins,
      // WebAuthn passkeys: register from a session, sign in, list, delete (passkeys.ts).
      passkeys(config),
    ],
    disabledPaths: [...PASSWORDLESS_DISABLED_PATHS, ...providers.disabledPaths],
    advanced: {
      // On Cloudflare the client address is cf-connecting-ip; x-forwarded-for
      // is whatever the client chose to send.
      ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] },
    },
    // Its limiter counts in memory, per isolate (and Workers run many);
    // AUTH_RATE_LIMITER (src/middleware/rate-limit.ts) limits at the edge.
    rateLimit: { enabled: false },
    logger: authLogger,
    // Unexpected errors (a failed query, a lost connection) leave better-auth
    // for the app's onError: 503 for an outage, otherwise a 500 logged without
    // query parameters. Its own router would print the raw error, SQL
    // parameters included. Its APIErrors (401, 400, ...) still answer as usual.
    onAPIError: { throw: true },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;
export type AuthSession = Auth["$Infer"]["Session"];
