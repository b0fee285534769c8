// `npm run db:migrate`: apply pending migrations to DATABASE_URL.
import { migrate } from "./lib/migrate";
import { redact } from "./lib/postgres";

const url = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;
if (!url) {
  console.error("db:migrate: set DATABASE_URL (or MIGRATION_DATABASE_URL) to the database to migrate");
  process.exit(1);
}
try {
  const result = await migrate(url, { log: (line) => console.log(`db:migrate: ${line}`) });
  console.log(
    `db:migrate: ${redact(url)}: ${result.applied.length} applied, ${result.skipped} already applied`,
  );
} catch (err) {
  console.error(`db:migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
