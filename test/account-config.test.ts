// The mail, verification, session and deletion settings: defaults, units, and
// messages that name the variable without echoing its value.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { call, envWith } from "./helpers";

const BASE = {
  APP_SECRET: "a-perfectly-fine-secret-of-40-characters!",
  AUTH_BASE_URL: "https://auth.example.com/api",
  EMAIL_FROM: "Example <no-reply@example.com>",
  EMAIL_API_URL: "https://api.resend.com",
  EMAIL_API_KEY: "re_123456789",
};

function errorOf(env: Record<string, unknown>): string {
  const result = parseConfig(env);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.error.message;
}

describe("account settings", () => {
  it("has safe defaults", () => {
    const result = parseConfig(BASE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.mail).toEqual({
      transport: "http",
      from: "Example <no-reply@example.com>",
      apiUrl: "https://api.resend.com",
      apiKey: "re_123456789",
      resendInterval: 60,
    });
    expect(result.config.verification).toEqual({ required: true, autoSignIn: true, expiresIn: 3600 });
    expect(result.config.resetPasswordExpiresIn).toBe(3600);
    expect(result.config.session).toEqual({ expiresIn: 7 * 86400, updateAge: 86400, freshAge: 86400 });
    expect(result.config.deleteAccountConfirmation).toBe("email");
    expect(result.config.signIn).toEqual({ maxFailures: 20, lockout: 15 * 60 });
    expect(result.config.nameMaxLength).toBe(200);
    expect(result.config.passwordless).toEqual({ otpExpiresIn: 600, magicLinkExpiresIn: 600, signUp: true });
    expect(result.config.twoFactor).toEqual({ trustDeviceMaxAge: 30 * 86400 });
  });

  it("reads durations in seconds or with a unit, and booleans", () => {
    const result = parseConfig({
      ...BASE,
      SESSION_EXPIRES_IN: "30d",
      SESSION_UPDATE_AGE: "12h",
      SESSION_FRESH_AGE: "90m",
      RESET_PASSWORD_EXPIRES_IN: "900",
      EMAIL_VERIFICATION_EXPIRES_IN: "2h",
      EMAIL_RESEND_INTERVAL: "0",
      REQUIRE_EMAIL_VERIFICATION: "FALSE",
      AUTO_SIGN_IN_AFTER_VERIFICATION: false,
      DELETE_ACCOUNT_CONFIRMATION: "fresh-session",
      EMAIL_TRANSPORT: "cloudflare",
    });
    expect(result.ok && result.config).toMatchObject({
      session: { expiresIn: 30 * 86400, updateAge: 12 * 3600, freshAge: 90 * 60 },
      resetPasswordExpiresIn: 900,
      verification: { required: false, autoSignIn: false, expiresIn: 7200 },
      mail: { transport: "cloudflare", resendInterval: 0 },
      deleteAccountConfirmation: "fresh-session",
    });
  });

  it.each([
    [{ EMAIL_FROM: "" }, "EMAIL_FROM is required"],
    [{ EMAIL_FROM: "not an address" }, 'EMAIL_FROM must be an email address, optionally with a name: "Example <no-reply@example.com>"'],
    [{ EMAIL_TRANSPORT: "smtp" }, "EMAIL_TRANSPORT must be one of: http, cloudflare"],
    [{ EMAIL_API_URL: "" }, "EMAIL_API_URL is required when EMAIL_TRANSPORT is http"],
    [{ EMAIL_API_URL: "api.resend.com" }, "EMAIL_API_URL must be an absolute http(s) URL without query or fragment"],
    [{ EMAIL_API_URL: "http://mail.example.com" }, "EMAIL_API_URL must use https unless it is a loopback address"],
    [{ EMAIL_API_KEY: "" }, "EMAIL_API_KEY is required when EMAIL_API_URL is not a loopback address"],
    [{ REQUIRE_EMAIL_VERIFICATION: "yes" }, "REQUIRE_EMAIL_VERIFICATION must be true or false"],
    [{ DELETE_ACCOUNT_CONFIRMATION: "never" }, "DELETE_ACCOUNT_CONFIRMATION must be one of: email, fresh-session"],
    [
      { RESET_PASSWORD_EXPIRES_IN: "10" },
      "RESET_PASSWORD_EXPIRES_IN must be a duration from 5m to 1d: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
    [
      { SESSION_EXPIRES_IN: "a week" },
      "SESSION_EXPIRES_IN must be a duration from 5m to 400d: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
    [{ SESSION_EXPIRES_IN: "1d", SESSION_UPDATE_AGE: "1d" }, "SESSION_UPDATE_AGE must be shorter than SESSION_EXPIRES_IN"],
    [{ SIGN_IN_MAX_FAILURES: "0" }, "SIGN_IN_MAX_FAILURES must be a whole number from 1 to 1000"],
    [
      { SIGN_IN_LOCKOUT: "16m" },
      "SIGN_IN_LOCKOUT must be a duration from 1m to 15m: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
    [{ NAME_MAX_LENGTH: "2.5" }, "NAME_MAX_LENGTH must be a whole number from 1 to 1000"],
    [
      { EMAIL_OTP_EXPIRES_IN: "2h" },
      "EMAIL_OTP_EXPIRES_IN must be a duration from 1m to 1h: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
    [
      { MAGIC_LINK_EXPIRES_IN: "30" },
      "MAGIC_LINK_EXPIRES_IN must be a duration from 1m to 1h: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
    [{ PASSWORDLESS_SIGN_UP: "no" }, "PASSWORDLESS_SIGN_UP must be true or false"],
    [
      { TWO_FACTOR_TRUST_DEVICE_MAX_AGE: "1y" },
      "TWO_FACTOR_TRUST_DEVICE_MAX_AGE must be a duration from 1h to 90d: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    ],
  ])("rejects %j", (overrides, message) => {
    expect(errorOf({ ...BASE, ...overrides })).toBe(message);
  });

  it("needs no API key or https for the local mail catcher", () => {
    expect(parseConfig({ ...BASE, EMAIL_API_URL: "http://127.0.0.1:8025", EMAIL_API_KEY: undefined }).ok).toBe(true);
    expect(parseConfig({ ...BASE, EMAIL_API_URL: "http://localhost:8025/", EMAIL_API_KEY: undefined }).ok).toBe(true);
  });

  it("needs neither for the cloudflare transport", () => {
    expect(parseConfig({ ...BASE, EMAIL_TRANSPORT: "cloudflare", EMAIL_API_URL: undefined, EMAIL_API_KEY: undefined }).ok).toBe(true);
  });

  it("lists these problems together with the others and never echoes a value", () => {
    const message = errorOf({ ...BASE, APP_SECRET: "", EMAIL_FROM: "", EMAIL_API_KEY: "sk_live_leaky", SESSION_FRESH_AGE: "sk_live_leaky" });
    expect(message).toBe(
      "APP_SECRET is required; EMAIL_FROM is required; SESSION_FRESH_AGE must be a duration from 1m to 400d: seconds, or a number with s, m, h or d (e.g. 90m, 7d)",
    );
    expect(message).not.toContain("sk_live_leaky");
  });

  it("a bad setting answers every route with config_invalid naming it", async () => {
    const response = await call("/api/health", {}, envWith({ EMAIL_TRANSPORT: "carrier-pigeon" }));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: "config_invalid", message: "EMAIL_TRANSPORT must be one of: http, cloudflare" },
    });
  });
});
