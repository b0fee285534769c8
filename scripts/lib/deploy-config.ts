// Step 1 of `npm run deploy`: the production configuration that can be checked
// from here, before anything touches the database. Everything in this file is
// offline except listSecrets(), which deploy.ts calls only for a real deploy
// with CLOUDFLARE_API_TOKEN set.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseConfig } from "../../src/config";

/** The id wrangler.toml ships with until `wrangler hyperdrive create` gives a real one. */
export const PLACEHOLDER_HYPERDRIVE_ID = "00000000000000000000000000000000";
/** The binding the Worker reads (`env.HYPERDRIVE`). */
export const HYPERDRIVE_BINDING = "HYPERDRIVE";

/** What deploy needs to know from the Wrangler configuration file. */
export interface WranglerFacts {
  configPath: string;
  name: string | undefined;
  hyperdrive: { binding: string; id?: string }[];
  vars: Record<string, unknown>;
  requiredSecrets: string[];
}

/** Reads the Wrangler configuration with wrangler's own parser (resolving it as `wrangler deploy` will). */
export async function readWranglerConfig(configPath: string): Promise<WranglerFacts> {
  // Loaded on demand, and with require(): wrangler's 15 MB CLI bundle takes
  // about a second to load, twice that through tsx's ESM loader.
  const { unstable_readConfig } = createRequire(import.meta.url)("wrangler") as typeof import("wrangler");
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  return {
    configPath,
    name: config.name,
    hyperdrive: (config.hyperdrive ?? []).map((h: { binding: string; id?: string }) => ({ binding: h.binding, id: h.id })),
    vars: { ...(config.vars ?? {}) },
    requiredSecrets: [...(config.secrets?.required ?? [])],
  };
}

/**
 * Names of the required secrets documented in `.dev.vars.example`: the
 * uncommented `NAME=...` lines whose comment block starts with "Required".
 * (Required values that are not secrets are documented there commented out.)
 */
export function requiredSecretsFromExample(text: string): string[] {
  const names: string[] = [];
  let comment: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) {
      comment = [];
      continue;
    }
    if (line.startsWith("#")) {
      comment.push(line.replace(/^#\s*/, ""));
      continue;
    }
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (match && /^required\b/i.test(comment[0] ?? "")) names.push(match[1]!);
    comment = [];
  }
  return names;
}

export interface DeployCheckInput {
  dryRun: boolean;
  /** The environment of `npm run deploy`. */
  env: Record<string, string | undefined>;
  /** The parsed Wrangler configuration, or why it could not be read. */
  wrangler: WranglerFacts | Error;
  /** Contents of `.dev.vars.example`. */
  devVarsExample: string;
  migrationsDir: string;
  /** Secrets set on the deployed Worker, when known (`wrangler secret list`). */
  secretsSet?: string[];
}

export interface DeployCheck {
  /** Problems that stop the deploy before the database is touched. */
  errors: string[];
  /** Reported, not fatal: what only a real deploy refuses (in a dry run), and what cannot be checked from here. */
  warnings: string[];
  /** Informational lines. */
  notes: string[];
  databaseUrl?: string;
  databaseSource?: "MIGRATION_DATABASE_URL" | "DATABASE_URL";
  /** `[vars]` whose production value comes from the deploy environment: passed as `wrangler deploy --var NAME:value`. */
  varOverrides: Record<string, string>;
  requiredSecrets: string[];
}

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i;
/** A loopback host inside a value: a URL, an origin list, an email address. */
const LOCAL_ADDRESS = /(^|[\s,<@/])(localhost|[\w.-]+\.localhost|127\.\d+\.\d+\.\d+|\[::1\])(?=[:/>,\s]|$)/i;

/** Step 1, offline: everything that can be known to be wrong before migrating. */
export function checkDeployConfig(input: DeployCheckInput): DeployCheck {
  const result: DeployCheck = { errors: [], warnings: [], notes: [], varOverrides: {}, requiredSecrets: [] };
  const { errors, notes } = result;
  // What a real deploy refuses, a dry run reports: the repository's own
  // wrangler.toml (placeholder id, local AUTH_BASE_URL) must still dry-run.
  const productionOnly = (message: string) =>
    input.dryRun ? result.warnings.push(`${message} (a real deploy stops here)`) : errors.push(message);

  // The database to migrate: a direct connection, not the Hyperdrive one.
  const source = input.env.MIGRATION_DATABASE_URL ? "MIGRATION_DATABASE_URL" : input.env.DATABASE_URL ? "DATABASE_URL" : undefined;
  if (!source) {
    errors.push(
      "no database to migrate: set MIGRATION_DATABASE_URL to the database's direct connection string " +
        "(postgres://user:password@host:5432/db, not through Hyperdrive); DATABASE_URL is used when it is unset",
    );
  } else {
    const url = input.env[source]!;
    const parsed = URL.parse(url);
    // The value is never echoed: it normally carries a password.
    if (!parsed || (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") || !parsed.hostname) {
      errors.push(`${source} is not a postgres:// (or postgresql://) connection URL with a host`);
    } else {
      result.databaseUrl = url;
      result.databaseSource = source;
    }
  }

  const journal = path.join(input.migrationsDir, "meta/_journal.json");
  if (!existsSync(journal)) errors.push(`no migrations found: ${journal} does not exist`);

  const wrangler = input.wrangler;
  if (wrangler instanceof Error) {
    errors.push(`cannot read the Wrangler configuration: ${wrangler.message}`);
    return result;
  }
  const configName = path.basename(wrangler.configPath);
  if (!wrangler.name) errors.push(`${configName} has no Worker name`);

  // Hyperdrive: the Worker's only way to its database.
  const hyperdrive = wrangler.hyperdrive.find((h) => h.binding === HYPERDRIVE_BINDING);
  if (!hyperdrive) {
    errors.push(`${configName} has no [[hyperdrive]] binding named ${HYPERDRIVE_BINDING}`);
  } else if (hyperdrive.id === PLACEHOLDER_HYPERDRIVE_ID) {
    productionOnly(
      `${configName}: the ${HYPERDRIVE_BINDING} Hyperdrive id is the placeholder ${PLACEHOLDER_HYPERDRIVE_ID}; ` +
        "replace it with the id printed by `npx wrangler hyperdrive create` (README: Deploy to Cloudflare)",
    );
  } else if (!/^[0-9a-f]{32}$/i.test(hyperdrive.id ?? "")) {
    errors.push(`${configName}: the ${HYPERDRIVE_BINDING} Hyperdrive id ${JSON.stringify(hyperdrive.id ?? "")} is not a Hyperdrive id (32 hex digits)`);
  }

  // [vars]: a value in the deploy environment overrides wrangler.toml, so
  // production values need not be committed over the local ones the tests use.
  const vars: Record<string, unknown> = { ...wrangler.vars };
  for (const name of Object.keys(wrangler.vars).sort()) {
    const value = input.env[name];
    // Empty counts as unset: that is what an undefined GitHub variable gives.
    if (!value) continue;
    result.varOverrides[name] = value;
    vars[name] = value;
    notes.push(`[vars] ${name} from the environment: ${JSON.stringify(value)}`);
  }
  // Secrets: named in .dev.vars.example and wrangler.toml [secrets] required.
  result.requiredSecrets = [...new Set([...requiredSecretsFromExample(input.devVarsExample), ...wrangler.requiredSecrets])].sort();
  for (const name of result.requiredSecrets) {
    if (name in wrangler.vars) errors.push(`${name} is a required secret but ${configName} also sets it in [vars]`);
  }

  // The Worker's own rules (src/config.ts), with stand-ins for the secrets. A
  // problem with a [vars] value stops any deploy; one with a setting that is
  // not in [vars] may be a secret set on Cloudflare: an error once the set
  // secrets are known, until then only reported.
  const secrets = [...result.requiredSecrets, ...(input.secretsSet ?? [])];
  // Random stand-ins, so they pass the Worker's secret rules (length, variety).
  const standIns = Object.fromEntries(secrets.map((name) => [name, randomBytes(32).toString("base64url")]));
  let issues: string[];
  try {
    const parsed = parseConfig({ ...vars, ...standIns });
    issues = parsed.ok ? [] : parsed.error.message.split("; ");
    // Off is for `npm run dev` only: a deployed Worker keeps its limits.
    if (String(vars.RATE_LIMITS ?? "").trim().toLowerCase() === "off") {
      errors.push(
        `RATE_LIMITS is "off": production keeps the per-client limits on the credential endpoints; ` +
          `remove RATE_LIMITS from the deploy environment (or set it to "on")`,
      );
    }
  } catch (err) {
    issues = [];
    errors.push(`could not check the Worker's configuration: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const issue of issues) {
    const name = /^[A-Z][A-Z0-9_]*/.exec(issue)?.[0];
    if ((name && Object.hasOwn(vars, name)) || input.secretsSet) errors.push(`the Worker would reject its configuration: ${issue}`);
    else result.warnings.push(`the Worker would reject its configuration unless ${name ?? "this"} is set as a secret: ${issue}`);
  }
  // Local development values (a mail catcher on 127.0.0.1, *.localhost
  // addresses) that production must override.
  for (const [name, value] of Object.entries(vars)) {
    if (name === "AUTH_BASE_URL" || typeof value !== "string" || !LOCAL_ADDRESS.test(value)) continue;
    productionOnly(
      `${name} is ${JSON.stringify(value)}, a local address; deploy with ${name}=<production value> in the environment ` +
        "(README: Deploy to Cloudflare)",
    );
  }
  const base = URL.parse(String(vars.AUTH_BASE_URL ?? ""));
  if (base && !issues.some((issue) => issue.startsWith("AUTH_BASE_URL"))) {
    if (base.protocol !== "https:" || LOOPBACK.test(base.hostname)) {
      productionOnly(
        `AUTH_BASE_URL is ${JSON.stringify(vars.AUTH_BASE_URL)}, not a public https URL; ` +
          "deploy with AUTH_BASE_URL=https://<your domain>/api in the environment (README: Deploy to Cloudflare)",
      );
    }
  }
  return result;
}

/** Secret names from `wrangler secret list --format json` output. */
export function parseSecretList(stdout: string): string[] {
  const start = stdout.indexOf("[");
  const end = stdout.lastIndexOf("]");
  if (start < 0 || end < start) throw new Error("`wrangler secret list` printed no JSON list");
  const list = JSON.parse(stdout.slice(start, end + 1)) as unknown;
  if (!Array.isArray(list)) throw new Error("`wrangler secret list` printed no JSON list");
  return list.map((entry) => String((entry as { name?: unknown }).name));
}

/** The required secrets that are not set on the deployed Worker. */
export function missingSecrets(required: string[], listed: string[]): string[] {
  const present = new Set(listed);
  return required.filter((name) => !present.has(name));
}

/** Masks a connection string's password anywhere in a message (e.g. a driver error quoting the URL). */
export function scrubPassword(text: string, url: string | undefined): string {
  const password = url ? URL.parse(url)?.password : undefined;
  if (!password) return text;
  let out = text;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // Not percent-encoded after all.
  }
  for (const form of new Set([password, decoded])) out = out.split(form).join("***");
  return out;
}

export function readDevVarsExample(root: string): string {
  return readFileSync(path.join(root, ".dev.vars.example"), "utf8");
}
