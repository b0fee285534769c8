import type { BetterAuthOptions, BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { symmetricEncrypt } from "better-auth/crypto";
import { genericOAuth, type GenericOAuthConfig } from "better-auth/plugins";
import type { Config, ProvidersConfig } from "../config";
import { authLogger } from "./logger";

/** Scopes asked of every provider: who the user is and a verified-or-not email. */
const OIDC_SCOPES = ["openid", "email", "profile"];
/** A sign-in waits on discovery at most this long; a failure is retried after DISCOVERY_RETRY_MS. */
const DISCOVERY_TIMEOUT_MS = 5_000;
const DISCOVERY_RETRY_MS = 30_000;

/** The parts of an OpenID Provider's discovery document the sign-in uses. */
interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
}

/**
 * Discovery documents per isolate, keyed by issuer: pure data, so it may
 * outlive the request that fetched it. Each request fetches what is missing
 * itself (prepareDiscovery) before it uses the auth instance, whose init
 * then only reads this: an init shared by the isolate's requests must do no
 * I/O of one request's (workerd cancels a request's I/O with it, and the
 * others would wait on it forever).
 */
const discoveries = new Map<string, Discovery | { failedAt: number }>();

/** The provider ids this config turns on, in the order the sign-in page shows them. */
export function providerIds(providers: ProvidersConfig): string[] {
  return [providers.github && "github", providers.google && "google", providers.oidc?.id].filter((id): id is string => !!id);
}

/** Names for the sign-in page's buttons. */
export function providerButtons(providers: ProvidersConfig): { id: string; name: string }[] {
  const names: Record<string, string> = { github: "GitHub", google: "Google" };
  if (providers.oidc) names[providers.oidc.id] = providers.oidc.name;
  return providerIds(providers).map((id) => ({ id, name: names[id]! }));
}

/**
 * Where "Sign in with <provider>" sends the browser: the account pages' CSP
 * allows form submissions to redirect there. For an OpenID Connect provider,
 * the issuer's origin (where its authorization endpoint normally is).
 */
export function providerOrigins(providers: ProvidersConfig): string[] {
  return [
    providers.github && "https://github.com",
    providers.google && "https://accounts.google.com",
    providers.oidc && new URL(providers.oidc.issuer).origin,
  ].filter((origin): origin is string => !!origin);
}

/**
 * better-auth's endpoints that only make sense with a provider; with none
 * configured they answer 404 and leave the OpenAPI document.
 */
const PROVIDER_PATHS = ["/sign-in/social", "/callback/:id", "/link-social", "/get-access-token", "/refresh-token", "/account-info"];

export function providerDisabledPaths(providers: ProvidersConfig): string[] {
  return providerIds(providers).length ? [] : PROVIDER_PATHS;
}

/**
 * The auth options for GitHub, Google and an OpenID Connect provider, each
 * only when configured. All use the authorization code flow with PKCE and a
 * `state` better-auth keeps in its verification table (a signed cookie binds
 * it to the browser); the redirect URI is `<AUTH_BASE_URL>/auth/callback/<id>`
 * (better-auth's default from baseURL + basePath). Linking to an existing
 * account needs a verified email at both ends (`accountLinking` below).
 */
export function providerOptions(config: Config): Pick<BetterAuthOptions, "socialProviders" | "account"> & {
  plugins: BetterAuthPlugin[];
  disabledPaths: string[];
} {
  const { github, google, oidc } = config.providers;
  const requireEmailVerification = config.verification.required;
  return {
    socialProviders: {
      ...(github && { github: { clientId: github.clientId, clientSecret: github.clientSecret } }),
      ...(google && { google: { clientId: google.clientId, clientSecret: google.clientSecret } }),
    },
    account: {
      // Provider access, refresh and ID tokens are stored encrypted with APP_SECRET.
      encryptOAuthTokens: true,
      accountLinking: {
        enabled: true,
        // No provider is trusted blindly: its email must say verified...
        trustedProviders: [],
        // ...and so must the local account's, or a pending registration
        // (registration.ts) could be taken over by whoever controls a
        // provider account with that address, or handed to one.
        requireLocalEmailVerified: true,
        allowDifferentEmails: false,
        // A link never rewrites the local profile.
        updateUserInfoOnLink: false,
      },
    },
    plugins: [
      ...(oidc ? [cachedDiscovery(oidc.issuer), genericOAuth({ config: [oidcProviderConfig(oidc, requireEmailVerification)] })] : []),
      ...(providerIds(config.providers).length ? [] : [noProviderCallbacks()]),
    ],
    disabledPaths: providerDisabledPaths(config.providers),
  };
}

/**
 * better-auth encrypts access and refresh tokens (encryptOAuthTokens) but
 * writes the provider's ID token as issued; this encrypts it the same way
 * (APP_SECRET, better-auth's symmetric cipher) at the account table's one
 * write path. Nothing here reads it back.
 */
export function encryptIdTokens(secret: string) {
  const encrypt = async <T extends { idToken?: string | null }>(data: T): Promise<{ data: T } | undefined> =>
    data.idToken ? { data: { ...data, idToken: await symmetricEncrypt({ key: secret, data: data.idToken }) } } : undefined;
  return {
    create: { before: encrypt },
    update: { before: encrypt },
  };
}

/**
 * genericOAuth's own discovery would run in its init, i.e. once per auth
 * instance, in whichever request built it; this gives it the endpoints from
 * the per-isolate cache instead (filled by prepareDiscovery). The config
 * object is this instance's own (made in providerOptions), and the plugin
 * below runs its init before genericOAuth's. An instance built while the
 * document was missing is rebuilt once it is there (authFor, discoveryReady).
 */
function oidcProviderConfig(oidc: NonNullable<ProvidersConfig["oidc"]>, requireEmailVerification: boolean): GenericOAuthConfig {
  return {
    providerId: oidc.id,
    name: oidc.name,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret,
    scopes: OIDC_SCOPES,
    pkce: true,
    // The OpenID Connect subject identifies the account (genericOAuth would
    // take the `id` of a plain OAuth profile, as its discovery is not used).
    accountSubject: ({ profile }) => String((profile as { sub?: unknown }).sub ?? ""),
    // Filled from the discovery document by cachedDiscovery's init.
    authorizationUrl: undefined,
    tokenUrl: undefined,
    userInfoUrl: undefined,
    // A new user whose provider does not vouch for the address proves it
    // by mail, as a password sign-up would.
    requireEmailVerification,
  };
}

function cachedDiscovery(issuer: string): BetterAuthPlugin {
  return {
    id: "edge-auth-oidc-discovery",
    async init(ctx) {
      const generic = ctx.options.plugins?.find((plugin) => plugin.id === "generic-oauth") as
        | { options?: { config?: GenericOAuthConfig[] } }
        | undefined;
      const target = generic?.options?.config?.[0];
      if (!target) return;
      const found = discoveries.get(issuer);
      if (!found || !("issuer" in found)) return;
      target.authorizationUrl = found.authorization_endpoint;
      target.tokenUrl = found.token_endpoint;
      target.userInfoUrl = found.userinfo_endpoint;
    },
  };
}

/**
 * Makes sure the discovery document of this config's OIDC provider is in the
 * per-isolate cache, fetching it in the calling request if it is missing (a
 * failure is retried after DISCOVERY_RETRY_MS). Nothing to do without OIDC.
 */
export async function prepareDiscovery(config: Config): Promise<void> {
  const { oidc } = config.providers;
  if (oidc) await discover(oidc.issuer);
}

/** Whether the cache holds what this config's OIDC provider needs (always, without OIDC). */
export function discoveryReady(config: Config): boolean {
  const { oidc } = config.providers;
  if (!oidc) return true;
  const cached = discoveries.get(oidc.issuer);
  return Boolean(cached && "issuer" in cached);
}

async function discover(issuer: string): Promise<Discovery | undefined> {
  const cached = discoveries.get(issuer);
  if (cached && "issuer" in cached) return cached;
  if (cached && Date.now() - cached.failedAt < DISCOVERY_RETRY_MS) return undefined;
  try {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const doc = (await response.json()) as Partial<Discovery>;
    // OpenID Connect Discovery 4.3: the document must name the issuer it was fetched for.
    if (doc.issuer?.replace(/\/+$/, "") !== issuer) throw new Error("the document names another issuer");
    if (typeof doc.authorization_endpoint !== "string" || typeof doc.token_endpoint !== "string") {
      throw new Error("no authorization or token endpoint");
    }
    const found: Discovery = {
      issuer: doc.issuer,
      authorization_endpoint: doc.authorization_endpoint,
      token_endpoint: doc.token_endpoint,
      userinfo_endpoint: typeof doc.userinfo_endpoint === "string" ? doc.userinfo_endpoint : undefined,
    };
    discoveries.set(issuer, found);
    return found;
  } catch (error) {
    discoveries.set(issuer, { failedAt: Date.now() });
    authLogger.log("error", `oidc_discovery_failed: ${issuer}: ${error instanceof Error ? error.message : "unknown error"}`);
    return undefined;
  }
}

/**
 * disabledPaths matches whole paths, so /callback/<anything> is refused
 * here: with no provider configured there is no callback to answer.
 */
function noProviderCallbacks(): BetterAuthPlugin {
  return {
    id: "edge-auth-no-provider-callbacks",
    hooks: {
      before: [
        {
          matcher: (ctx) => ctx.path === "/callback/:id",
          handler: createAuthMiddleware(async () => {
            throw APIError.from("NOT_FOUND", { code: "NOT_FOUND", message: "Not Found" });
          }),
        },
      ],
    },
  };
}
