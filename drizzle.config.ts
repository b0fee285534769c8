import { defineConfig } from "drizzle-kit";

// `generate` and `check` only read the schema and `migrations/`; the URL is
// needed by drizzle-kit's own database commands, which edge-auth does not use
// (migrations are applied by scripts/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  strict: true,
  verbose: true,
});
