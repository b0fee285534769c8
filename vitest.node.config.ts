import { defineConfig } from "vitest/config";

// Operator tooling (migrations, deploy, cleanup, scripts), run from Node as
// operators run it, against the same real database as the Worker tests.
export default defineConfig({
  test: {
    name: "node",
    environment: "node",
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/node/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
