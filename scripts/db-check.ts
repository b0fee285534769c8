// `npm run db:check`: fails when src/db/schema and migrations/ disagree, i.e.
// when someone changed the schema and forgot `npm run db:generate` (or edited
// a generated migration's snapshot). drizzle-kit generates into a scratch copy
// of migrations/; any new file there is drift.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const drizzleKit = path.join(root, "node_modules/drizzle-kit/bin.cjs");
// drizzle-kit only accepts an --out relative to the project.
mkdirSync(path.join(root, ".wrangler"), { recursive: true });
const scratch = mkdtempSync(path.join(root, ".wrangler/db-check-"));

try {
  // Snapshot consistency (collisions, broken chains) first.
  execFileSync(process.execPath, [drizzleKit, "check"], { cwd: root, stdio: "inherit" });

  const out = path.join(scratch, "migrations");
  cpSync(path.join(root, "migrations"), out, { recursive: true });
  const before = new Set(readdirSync(out));
  execFileSync(
    process.execPath,
    [drizzleKit, "generate", "--dialect", "postgresql", "--schema", "./src/db/schema/index.ts", "--out", path.relative(root, out), "--name", "drift"],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const added = readdirSync(out).filter((f) => f.endsWith(".sql") && !before.has(f));
  if (added.length > 0) {
    console.error("db:check: src/db/schema has changes that no migration contains. Run `npm run db:generate`.");
    for (const file of added) console.error(readFileSync(path.join(out, file), "utf8"));
    process.exitCode = 1;
  } else {
    console.log("db:check: migrations/ matches src/db/schema");
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
