// Checks .github/workflows/deploy.yml: valid YAML (parsed by the `yaml`
// package, strictly: duplicate keys and any syntax error are errors), then the
// structure GitHub Actions expects and this project's deploy needs.
import { parseDocument } from "yaml";

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMap = { [key: string]: YamlValue };

export class YamlError extends Error {
  override readonly name = "YamlError";
}

/** Parses a workflow file; throws YamlError naming the line of the first problem. */
export function parseWorkflow(source: string): YamlValue {
  const doc = parseDocument(source, { uniqueKeys: true, strict: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new YamlError(doc.errors.map((e) => e.message).join("\n"));
  return doc.toJS() as YamlValue;
}

// ---------------------------------------------------------------------------
// Workflow structure

const isMap = (v: YamlValue | undefined): v is YamlMap => typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: YamlValue | undefined): YamlValue[] => (v == null ? [] : Array.isArray(v) ? v : [v]);

const JOB_KEYS = new Set([
  "name", "runs-on", "needs", "if", "env", "steps", "services", "permissions", "concurrency", "environment",
  "timeout-minutes", "defaults", "outputs", "strategy", "continue-on-error", "container",
]);
const STEP_KEYS = new Set(["name", "id", "if", "uses", "run", "with", "env", "shell", "working-directory", "continue-on-error", "timeout-minutes"]);
const TOP_KEYS = new Set(["name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"]);

/** Every string in the document, for expression checks. */
function strings(value: YamlValue, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value) Object.entries(value).forEach(([k, v]) => (out.push(k), strings(v, out)));
  return out;
}

/** Generic GitHub Actions structure: problems found, empty when fine. */
export function checkWorkflowStructure(doc: YamlValue): string[] {
  const problems: string[] = [];
  if (!isMap(doc)) return ["the workflow is not a mapping"];
  for (const key of Object.keys(doc)) if (!TOP_KEYS.has(key)) problems.push(`unknown top-level key ${JSON.stringify(key)}`);
  if (typeof doc.name !== "string") problems.push("no workflow name");
  if (doc.on == null) problems.push('no "on" triggers');
  if (!isMap(doc.jobs) || Object.keys(doc.jobs).length === 0) return [...problems, "no jobs"];
  const jobs = doc.jobs;
  for (const [id, job] of Object.entries(jobs)) {
    if (!isMap(job)) {
      problems.push(`job ${id} is not a mapping`);
      continue;
    }
    for (const key of Object.keys(job)) if (!JOB_KEYS.has(key)) problems.push(`job ${id}: unknown key ${JSON.stringify(key)}`);
    if (typeof job["runs-on"] !== "string") problems.push(`job ${id}: no runs-on`);
    for (const need of asList(job.needs)) {
      if (typeof need !== "string" || !Object.hasOwn(jobs, need) || need === id) problems.push(`job ${id}: needs unknown job ${JSON.stringify(need)}`);
    }
    const steps = job.steps;
    if (!Array.isArray(steps) || steps.length === 0) {
      problems.push(`job ${id}: no steps`);
      continue;
    }
    steps.forEach((step, n) => {
      const where = `job ${id}, step ${n + 1}`;
      if (!isMap(step)) return void problems.push(`${where}: not a mapping`);
      for (const key of Object.keys(step)) if (!STEP_KEYS.has(key)) problems.push(`${where}: unknown key ${JSON.stringify(key)}`);
      const uses = typeof step.uses === "string";
      const run = typeof step.run === "string";
      if (uses === run) problems.push(`${where}: needs exactly one of "uses" and "run"`);
      if (uses && !/^[\w.-]+\/[\w./-]+@[\w.-]+$/.test(step.uses as string)) problems.push(`${where}: "uses" must be owner/repo@ref`);
      if (step.with !== undefined && !isMap(step.with)) problems.push(`${where}: "with" is not a mapping`);
      if (step.env !== undefined && !isMap(step.env)) problems.push(`${where}: "env" is not a mapping`);
    });
  }
  // needs must not form a cycle.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (id: string): boolean => {
    if (done.has(id)) return false;
    if (visiting.has(id)) return true;
    visiting.add(id);
    const job = jobs[id];
    const cyclic = isMap(job) && asList(job.needs).some((n) => typeof n === "string" && Object.hasOwn(jobs, n) && visit(n));
    visiting.delete(id);
    done.add(id);
    return cyclic;
  };
  for (const id of Object.keys(jobs)) if (visit(id)) problems.push(`job ${id}: "needs" forms a cycle`);
  for (const s of strings(doc)) {
    const opens = s.split("${{").length - 1;
    const closes = s.split("}}").length - 1;
    if (opens !== closes) problems.push(`unbalanced \${{ }} expression in ${JSON.stringify(s)}`);
  }
  return problems;
}

/** The secrets `npm run deploy` needs from the repository. */
export const DEPLOY_SECRETS = ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "MIGRATION_DATABASE_URL"];

const runsCommand = (step: YamlValue, command: RegExp) => isMap(step) && typeof step.run === "string" && command.test(step.run);

/** This project's deploy workflow: tests first, then `npm run deploy` with its secrets. */
export function checkDeployWorkflow(doc: YamlValue): string[] {
  const problems = checkWorkflowStructure(doc);
  if (problems.length || !isMap(doc) || !isMap(doc.jobs)) return problems;
  const jobs = doc.jobs as Record<string, YamlMap>;
  const stepsOf = (id: string) => (jobs[id]!.steps as YamlValue[]) ?? [];
  const triggers = isMap(doc.on) ? Object.keys(doc.on) : asList(doc.on).map(String);
  if (!triggers.includes("push") && !triggers.includes("workflow_dispatch")) problems.push('"on" has neither push nor workflow_dispatch');
  if (triggers.includes("pull_request_target")) problems.push("pull_request_target would hand the deploy secrets to pull requests");

  const testJobs = Object.keys(jobs).filter((id) => stepsOf(id).some((s) => runsCommand(s, /(^|\s)npm (run )?test(\s|$)/m)));
  const deployJobs = Object.keys(jobs).filter((id) => stepsOf(id).some((s) => runsCommand(s, /(^|\s)npm run deploy\b/m)));
  if (testJobs.length === 0) problems.push("no job runs `npm test`");
  if (deployJobs.length !== 1) return [...problems, `expected one job running \`npm run deploy\`, found ${deployJobs.length}`];
  const deployId = deployJobs[0]!;
  const deployJob = jobs[deployId]!;

  // The deploy job must wait for a test job (directly or through other jobs).
  const upstream = new Set<string>();
  const collect = (id: string) =>
    asList(jobs[id]!.needs).forEach((n) => {
      if (typeof n === "string" && !upstream.has(n)) upstream.add(n), collect(n);
    });
  collect(deployId);
  if (!testJobs.some((id) => upstream.has(id) || (id === deployId && stepIndex(stepsOf(id), /(^|\s)npm (run )?test(\s|$)/m) < stepIndex(stepsOf(id), /(^|\s)npm run deploy\b/m)))) {
    problems.push(`job ${deployId} runs \`npm run deploy\` without first needing the tests to pass`);
  }
  if (triggers.includes("pull_request") && typeof deployJob.if !== "string") {
    problems.push(`job ${deployId} would deploy pull requests: give it an "if" on github.event_name or github.ref`);
  }

  const steps = stepsOf(deployId);
  const deployAt = stepIndex(steps, /(^|\s)npm run deploy\b/m);
  const deployStep = steps[deployAt] as YamlMap;
  if (/--dry-run/.test(String(deployStep.run))) problems.push("the deploy step is a dry run");
  const installAt = stepIndex(steps, /(^|\s)npm (ci|install)\b/m);
  if (installAt < 0 || installAt > deployAt) problems.push(`job ${deployId} runs \`npm run deploy\` before \`npm ci\``);
  if (!steps.slice(0, deployAt).some((s) => isMap(s) && typeof s.uses === "string" && s.uses.startsWith("actions/checkout@"))) {
    problems.push(`job ${deployId} does not check out the repository before deploying`);
  }
  const env = { ...(isMap(doc.env) ? doc.env : {}), ...(isMap(deployJob.env) ? deployJob.env : {}), ...(isMap(deployStep.env) ? deployStep.env : {}) };
  for (const name of DEPLOY_SECRETS) {
    const value = env[name];
    if (typeof value !== "string" || !new RegExp(`^\\$\\{\\{\\s*secrets\\.${name}\\s*\\}\\}$`).test(value)) {
      problems.push(`the deploy step's env does not set ${name} to \${{ secrets.${name} }}`);
    }
  }
  return problems;
}

function stepIndex(steps: YamlValue[], command: RegExp): number {
  return steps.findIndex((s) => runsCommand(s, command));
}
