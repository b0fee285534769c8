// What `wrangler dev` will give the Worker as its env, computed before it
// starts, so `npm run dev` can check it with the Worker's own parseConfig.
import { createRequire } from "node:module";
import { parseConfig } from "../../src/config";

export interface DevVarsInput {
  configPath: string;
  /** `--env-file` paths given to wrangler; none means `.dev.vars` beside the config. */
  envFiles: string[];
  /** `--var NAME:VALUE`, in order: later wins, as in wrangler. */
  cliVars: string[];
}

export interface WranglerDevFacts {
  vars: Record<string, unknown>;
  /** Names whose value the developer chose (.dev.vars, an env file, the environment or --var), not wrangler.toml. */
  chosen: Set<string>;
  /** The per-client limiter's production setting, e.g. `10 requests/60s`. */
  rateLimit?: string;
}

type Wrangler = typeof import("wrangler");

function wrangler(): Wrangler {
  // require(), not import: wrangler's CLI bundle loads twice as fast this way under tsx.
  return createRequire(import.meta.url)("wrangler") as Wrangler;
}

/** The variables and secrets wrangler dev would bind: [vars], then .dev.vars (or env files / process.env), then --var. */
export function devVars(input: DevVarsInput): WranglerDevFacts {
  const w = wrangler();
  const config = w.unstable_readConfig({ config: input.configPath }, { hideWarnings: true });
  const bindings = w.unstable_getVarsForDev(
    input.configPath,
    input.envFiles.length ? input.envFiles : undefined,
    config.vars ?? {},
    undefined,
    true,
    config.secrets,
  ) as Record<string, { type: string; value: unknown }>;
  const vars: Record<string, unknown> = Object.fromEntries(Object.entries(bindings).map(([name, binding]) => [name, binding.value]));
  // wrangler marks what it loaded from .dev.vars or the environment as secret_text.
  const chosen = new Set(Object.entries(bindings).filter(([, b]) => b.type === "secret_text").map(([name]) => name));
  for (const entry of input.cliVars) {
    const at = entry.indexOf(":");
    if (at <= 0) continue;
    vars[entry.slice(0, at)] = entry.slice(at + 1);
    chosen.add(entry.slice(0, at));
  }
  const limiter = (config.ratelimits ?? []).find((r: { name: string }) => r.name === "AUTH_RATE_LIMITER") as
    | { simple?: { limit: number; period: number } }
    | undefined;
  return { vars, chosen, rateLimit: limiter?.simple && `${limiter.simple.limit} requests/${limiter.simple.period}s per client and endpoint` };
}

/** The Worker's config problems, one per line, or none. Messages name the variable and the rule, never a value. */
export function configProblems(vars: Record<string, unknown>): string[] {
  const result = parseConfig(vars);
  return result.ok ? [] : result.error.message.split("; ");
}
