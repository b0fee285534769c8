import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { defineConfig } from "vitest/config";

const TEST_APP_SECRET = "test-secret-that-is-long-enough-0123456789";

/**
 * Tests are hermetic: nothing a developer edits for `npm run dev` reaches
 * them. wrangler reads `.dev.vars` (else `.env`) beside its config file, and,
 * because wrangler.toml declares [secrets], the shell's environment too. So
 * the tests get wrangler.toml's own settings, unchanged, from a copy in a
 * directory of their own with no such files, and wrangler is told to load no
 * env files: every binding comes from wrangler.toml and the bindings below.
 */
function testWranglerConfig(): string {
  const root = import.meta.dirname;
  const { experimental_readRawConfig } = createRequire(import.meta.url)("wrangler") as typeof import("wrangler");
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, "wrangler.toml") });
  const dir = path.join(root, ".wrangler/tests");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "wrangler.json");
  // Without [secrets]: APP_SECRET comes from the bindings below, and wrangler
  // would otherwise warn that no env file provides it.
  const { secrets: _secrets, ...config } = rawConfig;
  writeFileSync(file, JSON.stringify({ ...config, main: path.join(root, rawConfig.main!) }, null, 2));
  process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV = "false";
  return file;
}

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: testWranglerConfig() },
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
