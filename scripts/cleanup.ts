// `npm run cleanup [-- --batch-size N] [--budget-ms N] [--until-done]`
// Runs the cron's cleanup job once, from Node, against DATABASE_URL (a direct
// PostgreSQL URL, not the Hyperdrive one): same function, same limits
// (CLEANUP_BATCH_SIZE / CLEANUP_BUDGET_MS from the environment, or the flags),
// same one JSON log line per run. `now` is the current time.
// --until-done repeats runs while a run stops on its budget, to clear a
// backlog by hand. Exit status: 0 on success, 1 when a run failed, 2 on bad usage.
import { cleanupLimits, runCleanup } from "../src/jobs/run";
import { redact } from "./lib/postgres";

const MAX_RUNS = 1_000;

function usage(message: string): never {
  console.error(`cleanup: ${message}`);
  console.error("usage: npm run cleanup [-- --batch-size N] [--budget-ms N] [--until-done]");
  process.exit(2);
}

const knobs: { CLEANUP_BATCH_SIZE?: string; CLEANUP_BUDGET_MS?: string } = {
  CLEANUP_BATCH_SIZE: process.env.CLEANUP_BATCH_SIZE,
  CLEANUP_BUDGET_MS: process.env.CLEANUP_BUDGET_MS,
};
let untilDone = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
  const value = () => inline ?? args[++i] ?? usage(`${flag} needs a value`);
  if (flag === "--batch-size") knobs.CLEANUP_BATCH_SIZE = value();
  else if (flag === "--budget-ms") knobs.CLEANUP_BUDGET_MS = value();
  else if (arg === "--until-done") untilDone = true;
  else usage(`unknown argument ${JSON.stringify(arg)}`);
}
for (const [name, raw] of Object.entries(knobs)) {
  if (raw !== undefined && raw !== "" && !/^[1-9]\d*$/.test(raw)) usage(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("cleanup: set DATABASE_URL to the database to clean (a direct PostgreSQL URL)");
  process.exit(2);
}

const limits = cleanupLimits(knobs);
console.error(`cleanup: ${redact(url)}: batch ${limits.batchSize} rows, budget ${limits.budgetMs} ms${untilDone ? ", until done" : ""}`);
try {
  for (let run = 1; run <= MAX_RUNS; run++) {
    const report = await runCleanup(url, new Date(), limits, { trigger: "manual", run });
    const deleted = Object.values(report.deleted).reduce((a, b) => a + b, 0);
    if (!untilDone || !report.stoppedOnBudget || deleted === 0) break;
  }
} catch {
  // runCleanup has already logged the failure as its JSON line.
  process.exit(1);
}
