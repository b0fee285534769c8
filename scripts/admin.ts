// `npm run admin -- <command>`: the operator's commands, against DATABASE_URL
// (a direct PostgreSQL URL) or, unset, this clone's embedded database (through
// the running `npm run dev` if there is one).
//
//   grant-admin <email>         role "admin": the admin API and /api/admin/*
//   revoke-admin <email>
//   set-tier <email> <tier>     anonymous | free | member; audited in
//                               tier_change with changed_by = "cli", as the API does
//   users [--tier T] [--json]   list users
//
// Exit status: 0 done (or nothing to change), 1 failed (no such user, no
// database), 2 bad usage.
import { asc, eq, sql } from "drizzle-orm";
import { connect, describeError } from "../src/db/client";
import { TIERS, user, type Tier } from "../src/db/schema";
import { changeTier, CLI_ACTOR } from "../src/db/tiers";
import { localDatabase, LocalDatabaseError } from "./lib/local-database";

const USAGE = `usage: npm run admin -- <command> [--data-dir DIR]

  grant-admin <email>         make the user an admin (role "admin")
  revoke-admin <email>        take the admin role away
  set-tier <email> <tier>     set the tier (${TIERS.join(" | ")}); recorded in tier_change, changed_by "cli"
  users [--tier T] [--json]   list users, optionally of one tier

The database: DATABASE_URL, else this clone's embedded one (.wrangler/pglite, or
--data-dir), through the running npm run dev when there is one.`;

function usage(message?: string): never {
  if (message) console.error(`admin: ${message}\n`);
  console.error(USAGE);
  process.exit(2);
}
function fail(message: string): never {
  console.error(`admin: ${message}`);
  process.exit(1);
}

const positional: string[] = [];
let dataDir: string | undefined;
let tierFilter: Tier | undefined;
let json = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
  const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
  if (flag === "--help" || flag === "-h") {
    console.log(USAGE);
    process.exit(0);
  } else if (flag === "--data-dir") dataDir = value();
  else if (flag === "--json") json = true;
  else if (flag === "--tier") {
    const t = value();
    if (!(TIERS as readonly string[]).includes(t)) usage(`--tier must be one of: ${TIERS.join(", ")}`);
    tierFilter = t as Tier;
  } else if (flag.startsWith("-")) usage(`unknown option ${JSON.stringify(arg)}`);
  else positional.push(arg);
}

const [command, ...operands] = positional;
const arity: Record<string, number> = { "grant-admin": 1, "revoke-admin": 1, "set-tier": 2, users: 0 };
if (!command) usage();
if (!(command in arity)) usage(`unknown command ${JSON.stringify(command)}`);
if (operands.length !== arity[command]) usage(`${command} takes ${arity[command] === 0 ? "no arguments" : arity[command] === 1 ? "an email" : "an email and a tier"}`);
if (tierFilter && command !== "users") usage("--tier goes with users");
if (command === "set-tier" && !(TIERS as readonly string[]).includes(operands[1]!)) usage(`the tier must be one of: ${TIERS.join(", ")}`);

let database;
try {
  database = await localDatabase({ dataDir, command: "npm run admin" });
} catch (err) {
  if (err instanceof LocalDatabaseError) fail(err.message);
  throw err;
}
console.error(`admin: using ${database.description}`);

/** better-auth keeps roles as one comma-separated column. */
const rolesOf = (role: string | null) => (role ?? "").split(",").map((r) => r.trim()).filter(Boolean);

/** A failure to report as it is, after the database is closed. */
class Refusal extends Error {}

const connection = await connect(database.url).catch(async (err: unknown) => {
  await database.close();
  return fail(`cannot connect: ${describeError(err)}`);
});
let code = 0;
try {
  const { db } = connection;
  const findUser = async (email: string) => {
    // better-auth stores addresses lower-cased.
    const [found] = await db.select().from(user).where(eq(user.email, email.trim().toLowerCase()));
    if (!found) throw new Refusal(`no user with the email ${email}`);
    return found;
  };
  if (command === "users") {
    const rows = await db
      .select({ id: user.id, email: user.email, name: user.name, tier: user.tier, role: user.role, emailVerified: user.emailVerified, createdAt: user.createdAt })
      .from(user)
      .where(tierFilter ? eq(user.tier, tierFilter) : sql`true`)
      .orderBy(asc(user.createdAt));
    if (json) console.log(JSON.stringify(rows));
    else {
      const table = rows.map((r) => [r.email, r.tier, rolesOf(r.role).join(",") || "user", r.emailVerified ? "yes" : "no", r.createdAt.toISOString(), r.id]);
      const header = ["EMAIL", "TIER", "ROLE", "VERIFIED", "CREATED", "ID"];
      const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
      if (rows.length) for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
      console.error(`admin: ${rows.length} user${rows.length === 1 ? "" : "s"}${tierFilter ? ` of tier ${tierFilter}` : ""}`);
    }
  } else if (command === "grant-admin" || command === "revoke-admin") {
    const target = await findUser(operands[0]!);
    const roles = rolesOf(target.role);
    const isAdmin = roles.includes("admin");
    if (command === "grant-admin" ? isAdmin : !isAdmin) {
      console.log(`admin: ${target.email} ${isAdmin ? "is already an admin" : "is not an admin"}; nothing changed`);
    } else {
      const next = command === "grant-admin" ? [...roles.filter((r) => r !== "user"), "admin"] : roles.filter((r) => r !== "admin");
      const role = next.length ? next.join(",") : "user";
      await db.update(user).set({ role }).where(eq(user.id, target.id));
      console.log(`admin: ${target.email} ${command === "grant-admin" ? "is now an admin" : "is no longer an admin"} (role: ${role})`);
    }
  } else {
    const target = await findUser(operands[0]!);
    const change = await changeTier(db, target.id, operands[1] as Tier, CLI_ACTOR);
    if (!change.found) throw new Refusal(`no user with the email ${operands[0]}`);
    console.log(
      change.changed
        ? `admin: ${target.email}: tier ${change.from} -> ${operands[1]} (recorded in tier_change, changed_by ${CLI_ACTOR})`
        : `admin: ${target.email} already has tier ${change.from}; nothing changed`,
    );
  }
} catch (err) {
  console.error(`admin: ${err instanceof Refusal ? err.message : describeError(err)}`);
  code = 1;
} finally {
  await connection.close();
  await database.close();
}
process.exit(code);
