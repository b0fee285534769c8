import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const TEST_APP_SECRET = "test-secret-that-is-long-enough-0123456789";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        hyperdrives: {
          // The real database chosen by test/global-setup.ts.
          HYPERDRIVE: inject("databaseUrl"),
          // Nothing listens on port 1: the outage tests swap this in for HYPERDRIVE.
          HYPERDRIVE_DOWN: "postgres://postgres:postgres@127.0.0.1:1/down",
        },
        bindings: {
          APP_SECRET: TEST_APP_SECRET,
          // Mail goes to the catcher test/global-setup.ts started.
          EMAIL_API_URL: inject("mailCatcherUrl"),
          EMAIL_API_KEY: inject("mailApiKey"),
          EMAIL_FROM: "edge-auth tests <no-reply@edge-auth.test>",
          // The suite signs users up and expects a session straight away;
          // test/account-*.test.ts turn verification on with envWith().
          REQUIRE_EMAIL_VERIFICATION: "false",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    // Operator tooling runs from Node: vitest.node.config.ts.
    exclude: ["test/node/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
