import { describe, expect, it } from "vitest";
import { call, envWith } from "./helpers";

const GOOD_SECRET = "a-perfectly-fine-secret-of-40-characters!";

async function configError(overrides: Parameters<typeof envWith>[0]) {
  const response = await call("/api/health", {}, envWith(overrides));
  expect(response.status).toBe(500);
  const text = await response.text();
  return { text, body: JSON.parse(text) as { error: { code: string; message: string } } };
}

describe("config validation", () => {
  it("names a missing APP_SECRET", async () => {
    const { body } = await configError({ APP_SECRET: undefined });
    expect(body).toEqual({ error: { code: "config_invalid", message: "APP_SECRET is required" } });
  });

  it("names a short APP_SECRET without echoing it", async () => {
    const { body, text } = await configError({ APP_SECRET: "tooshort-secret-value" });
    expect(body.error.code).toBe("config_invalid");
    expect(body.error.message).toMatch(/^APP_SECRET must be at least 32 characters \(generate one with: node -e .*\)$/);
    expect(text).not.toContain("tooshort-secret-value");
  });

  it("refuses the placeholder secret from .dev.vars.example, saying how to generate one", async () => {
    const { body, text } = await configError({ APP_SECRET: "change-me-to-at-least-32-random-characters" });
    expect(body.error.message).toBe(
      `APP_SECRET is the placeholder from .dev.vars.example (generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`,
    );
    expect(text).not.toContain("change-me-to-at-least");
  });

  it.each([["a".repeat(40)], ["password".repeat(5)], ["0101".repeat(10)]])("refuses a secret with too little variety (%j)", async (secret) => {
    const { body, text } = await configError({ APP_SECRET: secret });
    expect(body.error.message).toMatch(/^APP_SECRET has too little variety to be random, e.g. a repeated character or word \(generate one with: node -e .*\)$/);
    expect(text).not.toContain(secret);
  });

  it("accepts 32 random hex digits and a generated base64url secret", async () => {
    for (const secret of ["9f86d081884c7d659a2feaa0c55ad015", "kY3v0_QxZr8-2LmWcT5nHsP1aDfGjE7uB4oNiVqXy6s"]) {
      const response = await call("/api/health", {}, envWith({ APP_SECRET: secret }));
      expect(response.status, secret).not.toBe(500);
    }
  });

  it("names RATE_LIMITS when it is neither on nor off", async () => {
    const { body } = await configError({ RATE_LIMITS: "sometimes" });
    expect(body.error).toEqual({ code: "config_invalid", message: "RATE_LIMITS must be one of: on, off" });
  });

  it.each([
    [{ GITHUB_CLIENT_ID: "gh-id" }, "GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set (GitHub sign-in is half-configured)"],
    [{ GOOGLE_CLIENT_SECRET: "google-secret-value" }, "GOOGLE_CLIENT_ID is required when GOOGLE_CLIENT_SECRET is set (Google sign-in is half-configured)"],
    [
      { OIDC_ISSUER: "https://idp.example.com", OIDC_CLIENT_SECRET: "oidc-secret-value" },
      "OIDC_CLIENT_ID is required when OIDC_ISSUER and OIDC_CLIENT_SECRET are set (OpenID Connect sign-in is half-configured)",
    ],
    [
      { OIDC_ISSUER: "http://idp.example.com", OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "oidc-secret-value" },
      "OIDC_ISSUER must use https unless it is a loopback address",
    ],
    [
      { OIDC_ISSUER: "https://idp.example.com", OIDC_CLIENT_ID: "id", OIDC_CLIENT_SECRET: "oidc-secret-value", OIDC_PROVIDER_ID: "github" },
      "OIDC_PROVIDER_ID must be 1 to 32 lowercase letters, digits or dashes, and not github, google or credential",
    ],
  ])("names a half-configured or bad provider without its secret (%j)", async (overrides, message) => {
    const { body, text } = await configError(overrides as Parameters<typeof envWith>[0]);
    expect(body.error).toEqual({ code: "config_invalid", message });
    expect(text).not.toMatch(/secret-value/);
  });

  it("names a missing AUTH_BASE_URL", async () => {
    const { body } = await configError({ APP_SECRET: GOOD_SECRET, AUTH_BASE_URL: undefined });
    expect(body.error).toEqual({ code: "config_invalid", message: "AUTH_BASE_URL is required" });
  });

  it.each([
    ["not a url", "AUTH_BASE_URL must be an absolute http(s) URL"],
    ["ftp://example.com/api", "AUTH_BASE_URL must be an absolute http(s) URL"],
    ["https://example.com", "AUTH_BASE_URL must be the public origin followed by /api (e.g. https://auth.example.com/api)"],
    ["https://example.com/api/auth", "AUTH_BASE_URL must be the public origin followed by /api (e.g. https://auth.example.com/api)"],
  ])("rejects AUTH_BASE_URL=%j", async (value, message) => {
    const { body } = await configError({ AUTH_BASE_URL: value });
    expect(body.error).toEqual({ code: "config_invalid", message });
  });

  it.each([["http://ok.example, javascript:alert(1)"], ["https://*.example.com"], [["https://app.example.com"]]])(
    "rejects TRUSTED_ORIGINS=%j, which is not a list of exact origins",
    async (value) => {
      const { body } = await configError({ TRUSTED_ORIGINS: value });
      expect(body.error).toEqual({
        code: "config_invalid",
        message: "TRUSTED_ORIGINS must be a comma-separated list of http(s) origins",
      });
    },
  );

  it("names ADMIN_USER_IDS when it is not text", async () => {
    const { body } = await configError({ ADMIN_USER_IDS: ["id-1"] });
    expect(body.error).toEqual({ code: "config_invalid", message: "ADMIN_USER_IDS must be a comma-separated list of user ids" });
  });

  it("lists every problem at once", async () => {
    const { body } = await configError({ APP_SECRET: "", AUTH_BASE_URL: "" });
    expect(body.error.message).toBe("APP_SECRET is required; AUTH_BASE_URL is required");
  });

  it("accepts a trailing slash on AUTH_BASE_URL, and trusts its origin", async () => {
    const workerEnv = envWith({ AUTH_BASE_URL: "https://auth.example.com/api/" });
    const response = await call("/api/health", { headers: { origin: "https://auth.example.com" } }, workerEnv);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://auth.example.com");
  });
});
