// The auth instance lives as long as the isolate. One built before the OIDC
// provider's discovery document was fetched (by a request that needed no
// provider) must not leave that provider without endpoints for good. Its own
// file, so its isolate has fetched no document before this test.
import { describe, expect, it } from "vitest";
import { call, uniqueEmail } from "./helpers";
import { oidcEnv, signInWithProvider } from "./provider-helpers";

describe("OpenID Connect discovery and the per-isolate auth instance", () => {
  it("a provider sign-in works after the instance was first built without the discovery document", async () => {
    const workerEnv = oidcEnv();
    // No cache cookie: requireAuth asks better-auth, which builds the instance
    // for this config; nothing here fetches the discovery document.
    const anonymous = await call("/api/me", { headers: { cookie: "better-auth.session_token=unknown.token" } }, workerEnv);
    expect(anonymous.status).toBe(401);

    const email = uniqueEmail("oidc-late-discovery");
    const { start, response, location } = await signInWithProvider(workerEnv, email);
    expect(start.authorizationUrl.origin).toBe(new URL(workerEnv.OIDC_ISSUER!).origin);
    expect(response.status).toBe(302);
    expect(location).toBe("/account");
  });
});
