import { defineConfig } from "vitest/config";

// `npm run test:e2e`: the account journey in Chromium against `npm run dev`
// (test/e2e/), from Node. One file, run in order: the steps build on each other.
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    fileParallelism: false,
    // Each step builds on the last: stop at the first failure.
    bail: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
