import { inject } from "vitest";
import { call, cookiesFrom, envWith, ORIGIN, postJson, type EnvOverrides } from "./helpers";

declare module "vitest" {
  interface ProvidedContext {
    /** test/global-setup.ts: the real OpenID Connect provider (test/oidc-provider.ts). */
    oidcIssuer: string;
    oidcClientId: string;
    oidcClientSecret: string;
  }
}

/** The Worker's env with the test OpenID Connect provider configured. */
export function oidcEnv(overrides: EnvOverrides = {}): Env {
  return envWith({
    OIDC_ISSUER: inject("oidcIssuer"),
    OIDC_CLIENT_ID: inject("oidcClientId"),
    OIDC_CLIENT_SECRET: inject("oidcClientSecret"),
    OIDC_NAME: "Test IdP",
    ...overrides,
  } as EnvOverrides);
}

/** A Cookie header kept across the provider's redirects (one cookie per name is enough here). */
function keepCookies(jar: Map<string, string>, response: Response) {
  for (const set of response.headers.getSetCookie()) {
    const pair = set.split(";")[0]!;
    jar.set(pair.slice(0, pair.indexOf("=")), pair);
  }
}

/**
 * Follows the provider's redirects (authorize → interaction → login →
 * consent → authorize) as a browser would, until it sends the browser back
 * to the Worker; returns that callback URL.
 */
export async function throughProvider(authorizationUrl: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 12; hop++) {
    if (url.origin === ORIGIN) return url;
    const response = await fetch(url, { redirect: "manual", headers: { cookie: [...jar.values()].join("; ") } });
    keepCookies(jar, response);
    const location = response.headers.get("location");
    if (!location) throw new Error(`provider answered ${response.status} without a redirect: ${await response.text()}`);
    url = new URL(location, url);
  }
  throw new Error("too many redirects at the provider");
}

export interface SocialStart {
  /** The provider's authorization URL the Worker answered. */
  authorizationUrl: URL;
  /** The cookies sign-in/social set (the signed state cookie). */
  cookie: string;
}

/** POST /sign-in/social for `provider`, as the hint's user (test/oidc-provider.ts). */
export async function startSocial(workerEnv: Env, loginHint: string, body: Record<string, unknown> = {}): Promise<SocialStart> {
  const response = await postJson("/api/auth/sign-in/social", { provider: "oidc", callbackURL: "/account", loginHint, ...body }, {}, workerEnv);
  if (response.status !== 200) throw new Error(`sign-in/social: ${response.status} ${await response.text()}`);
  const { url } = (await response.json()) as { url: string };
  return { authorizationUrl: new URL(url), cookie: cookiesFrom(response) };
}

/** The whole flow: start, the provider, then the Worker's callback with the browser's cookies. */
export async function signInWithProvider(workerEnv: Env, loginHint: string, body: Record<string, unknown> = {}) {
  const start = await startSocial(workerEnv, loginHint, body);
  const callback = await throughProvider(start.authorizationUrl.href);
  const response = await call(`${callback.pathname}${callback.search}`, { headers: { cookie: start.cookie } }, workerEnv);
  return { start, callback, response, location: response.headers.get("location") ?? "", cookie: cookiesFrom(response) };
}
