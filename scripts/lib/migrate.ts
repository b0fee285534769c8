// Applies drizzle-kit's generated migrations, with the bookkeeping table of
// drizzle's own migrator (drizzle.__drizzle_migrations), plus two guarantees
// its migrate() does not give: an advisory lock, so two deploys at once apply
// each migration once, and one transaction per migration, so a failing one
// leaves the database exactly as the previous one left it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import pg from "pg";

export const MIGRATIONS_FOLDER = path.resolve(import.meta.dirname, "../../migrations");
// Any constant works; it only has to be the same for every runner. Advisory
// locks are per database, so runners of different databases never wait on
// each other.
export const MIGRATION_LOCK_KEY = 0x65646765; // "edge"

export interface MigrationResult {
  applied: string[];
  skipped: number;
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

interface JournalEntry {
  tag: string;
  when: number;
}

export async function migrate(
  url: string,
  options: { migrationsFolder?: string; log?: (line: string) => void } = {},
): Promise<MigrationResult> {
  const folder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
  const log = options.log ?? (() => undefined);
  const journal = JSON.parse(readFileSync(path.join(folder, "meta/_journal.json"), "utf8")) as { entries: JournalEntry[] };
  const migrations = readMigrationFiles({ migrationsFolder: folder }).map((m, i) => ({ ...m, tag: journal.entries[i]!.tag }));

  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows: locked } = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [MIGRATION_LOCK_KEY]);
    if (!locked[0]?.ok) {
      // Another deploy is migrating this database; once it is done, what it
      // applied is skipped here.
      log("waiting for the migration lock (another run is migrating this database)");
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    }
    try {
      await client.query(`create schema if not exists drizzle`);
      await client.query(
        `create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
      );
      const { rows } = await client.query<{ created_at: string | null }>(
        `select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
      );
      const last = rows[0]?.created_at == null ? -1 : Number(rows[0].created_at);
      const result: MigrationResult = { applied: [], skipped: 0 };
      for (const migration of migrations) {
        if (migration.folderMillis <= last) {
          result.skipped += 1;
          continue;
        }
        await client.query("begin");
        try {
          for (const statement of migration.sql) {
            if (statement.trim()) await client.query(statement);
          }
          await client.query(`insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)`, [
            migration.hash,
            migration.folderMillis,
          ]);
          await client.query("commit");
        } catch (err) {
          await client.query("rollback").catch(() => undefined);
          throw new MigrationError(migration.tag, err);
        }
        result.applied.push(migration.tag);
        log(`applied ${migration.tag}`);
      }
      return result;
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
