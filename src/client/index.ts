// For front ends and Node clients, not imported by the Worker: better-auth's
// official client, typed from this server's auth instance, so `user.tier`,
// `user.role` and `user.isAnonymous` are known to the compiler.
import { createAuthClient } from "better-auth/client";
import { adminClient, anonymousClient, emailOTPClient, inferAdditionalFields, magicLinkClient, twoFactorClient } from "better-auth/client/plugins";
import type { Auth } from "../auth";
import { sessionIdsClient } from "./session-ids";

type FetchOptions = NonNullable<Parameters<typeof createAuthClient>[0]>["fetchOptions"];

/** `apiUrl` is the deployment's AUTH_BASE_URL, e.g. `https://auth.example.com/api`. */
export function createEdgeAuthClient(apiUrl: string, fetchOptions?: FetchOptions) {
  return createAuthClient({
    baseURL: `${apiUrl.replace(/\/+$/, "")}/auth`,
    plugins: [
      inferAdditionalFields<Auth>(),
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

export type EdgeAuthClient = ReturnType<typeof createEdgeAuthClient>;
