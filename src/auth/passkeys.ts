import { passkey } from "@better-auth/passkey";
import type { Config } from "../config";

/**
 * Passkeys (WebAuthn) through better-auth's passkey plugin:
 *
 * - the relying party is AUTH_BASE_URL's host name, so a passkey works on
 *   that host and its subdomains (WebAuthn's own rule);
 * - an assertion or attestation is accepted only from a trusted origin
 *   (AUTH_BASE_URL and TRUSTED_ORIGINS), not from whatever Origin a request
 *   names, which is the plugin's default;
 * - registering needs a fresh signed-in session (SESSION_FRESH_AGE); signing
 *   in with a passkey makes an ordinary session, so tiers, bans and the
 *   session cache apply as to any other sign-in. It skips the TOTP step: a
 *   passkey is already something held plus (with user verification) a PIN
 *   or biometric.
 *
 * Endpoints: GET /passkey/generate-register-options, POST
 * /passkey/verify-registration, GET /passkey/generate-authenticate-options,
 * POST /passkey/verify-authentication, GET /passkey/list-user-passkeys,
 * POST /passkey/update-passkey, POST /passkey/delete-passkey.
 */
export function passkeys(config: Config) {
  return passkey({
    rpID: new URL(config.origin).hostname,
    rpName: "edge-auth",
    origin: config.trustedOrigins,
    // Discoverable credentials: "Sign in with a passkey" needs no email first.
    authenticatorSelection: { residentKey: "required" },
  });
}
