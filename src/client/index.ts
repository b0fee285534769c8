// `edge-auth/client` (built to dist/ by `npm run build`): better-auth's
// official client with this server's plugins, for front ends and Node. The
// fields come from the definition the server uses (src/auth/fields.ts), so
// `user.tier`, `user.role` and `user.isAnonymous` are typed without pulling
// the server's types (Workers bindings, Drizzle) into the client.
// Relative imports carry .js so the built files run in plain Node.
import { createAuthClient } from "better-auth/client";
import { adminClient, anonymousClient, emailOTPClient, inferAdditionalFields, magicLinkClient, twoFactorClient } from "better-auth/client/plugins";
import { USER_FIELDS } from "../auth/fields.js";
import { sessionIdsClient } from "./session-ids.js";

export type { Tier } from "../db/schema/tiers.js";

type ClientOptions = NonNullable<Parameters<typeof createAuthClient>[0]>;
type FetchOptions = ClientOptions["fetchOptions"];

function buildClient(apiUrl: string, fetchOptions?: FetchOptions) {
  return createAuthClient({
    baseURL: `${apiUrl.replace(/\/+$/, "")}/auth`,
    plugins: [
      inferAdditionalFields({ user: USER_FIELDS }),
      anonymousClient(),
      adminClient(),
      sessionIdsClient(),
      emailOTPClient(),
      magicLinkClient(),
      // A sign-in may answer { twoFactorRedirect: true }: finish it with
      // client.twoFactor.verifyTotp / verifyBackupCode.
      twoFactorClient(),
    ],
    fetchOptions,
  });
}

/** The client's type, spelled out so consumers' compilers need nothing of the server. */
export type EdgeAuthClient = ReturnType<typeof buildClient>;

/**
 * `apiUrl` is the deployment's AUTH_BASE_URL, e.g. `https://auth.example.com/api`.
 * In a browser, cookies flow by themselves (same site, or cross-site with
 * `fetchOptions: { credentials: "include" }` and the page's origin in
 * TRUSTED_ORIGINS). From Node, send an `Origin` header and keep the cookies
 * (see the README).
 */
export function createEdgeAuthClient(apiUrl: string, fetchOptions?: FetchOptions): EdgeAuthClient {
  return buildClient(apiUrl, fetchOptions);
}
