// A real OpenID Connect provider on 127.0.0.1 for the tests (the
// `oidc-provider` package: discovery, JWKS, PKCE, the code flow). Runs in
// Node, started by test/global-setup.ts.
//
// Who signs in is chosen by the authorization request's `login_hint`, which
// better-auth forwards from sign-in/social's `loginHint`: the hint is the
// email address, and `unverified:` before it makes the provider say
// email_verified=false. The interaction (login, then consent) completes on
// its own, so a test drives the whole flow with plain HTTP redirects.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

export const TEST_OIDC_CLIENT = { id: "edge-auth-tests", secret: "test-oidc-client-secret-0123456789abcdef" };

export interface TestOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

/** The claims the provider gives for a login hint. */
function claimsFor(hint: string) {
  const unverified = hint.startsWith("unverified:");
  const email = unverified ? hint.slice("unverified:".length) : hint;
  return { sub: hint, email, email_verified: !unverified, name: `OIDC ${email.split("@")[0]}` };
}

export async function startOidcProvider(redirectUris: string[]): Promise<TestOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_OIDC_CLIENT.id,
        client_secret: TEST_OIDC_CLIENT.secret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: "RS256", use: "sig", kid: "test" }] },
    cookies: { keys: ["test-oidc-cookie-key-0123456789"] },
    // Every authorization request must carry a PKCE challenge (S256).
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => claimsFor(sub) }),
  });
  provider.on("server_error", (_ctx, error) => console.error(`oidc-provider: ${error.message}`));
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    if (!req.url?.startsWith("/interaction/")) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const hint = String(details.params.login_hint ?? "");
      if (details.prompt.name === "login") {
        if (!hint) throw new Error("no login_hint");
        return await provider.interactionFinished(req, res, { login: { accountId: hint } }, { mergeWithLastSubmission: false });
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      return await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (error) {
      res.statusCode = 400;
      res.end(error instanceof Error ? error.message : "interaction failed");
    }
  });
  return {
    issuer,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
