// `npm run bench`: edge-auth side by side with stock better-auth (bench/peer),
// in one run on this machine, compared by ratio.
//
//  1. Two fresh databases on the server of DATABASE_URL (default: the local
//     test server): edge_auth_bench_edge (edge-auth's migrations) and
//     edge_auth_bench_peer (bench/peer/schema.sql). Dropped at the end.
//  2. A counting proxy in front of each (scripts/lib/pg-wire-counter.ts):
//     connections and statements per request, counted on the wire.
//  3. Each Worker under `wrangler dev` on a free loopback port.
//  4. Phases: sign-up, sign-in, sign-in with a wrong password, sign-in with an
//     unknown email, get-session,
//     a protected route (edge-auth /api/me, the peer's get-session), health,
//     and an empty request (a 404: the floor any request costs on this stack).
//     Each runs in halves A B B A (edge, peer, peer, edge), so drift on a
//     noisy machine falls on both alike, with BENCH_CONCURRENCY keep-alive
//     clients and a bounded number of requests; every request from its own
//     client address, so no rate limit is measured.
//  5. Worker CPU: the workerd processes of each `wrangler dev`, from
//     /proc/<pid>/task/*/schedstat (ns on CPU), without the workerd of
//     wrangler's dev proxy (the one listening on the public port), divided by
//     requests. edge-auth runs without its [assets] table (workerOnlyConfig):
//     the asset router would run in the same process. Prints a table, writes
//     bench/results.json.
//
// Knobs: DATABASE_URL, BENCH_CONCURRENCY (2), BENCH_SCALE (1: multiplies the
// request counts), BENCH_KEEP (keep the databases). Loopback only; gives up
// after 15 minutes whatever state it is in.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { measureBundle, type BundleSize } from "../scripts/bundle-size";
import { migrate } from "../scripts/lib/migrate";
import { startPgWireCounter, type PgWireCounter } from "../scripts/lib/pg-wire-counter";
import { redact, withClient, withPassword } from "../scripts/lib/postgres";
import { cpuNs, workerPids } from "../scripts/lib/procfs";

const root = path.resolve(import.meta.dirname, "..");
const intEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] || fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const CONCURRENCY = Math.round(intEnv("BENCH_CONCURRENCY", 2));
const SCALE = intEnv("BENCH_SCALE", 1);
const KEEP = Boolean(process.env.BENCH_KEEP);
const DEADLINE_MS = 15 * 60_000;
const PASSWORD = "correct horse battery staple";
/** Requests per half (a phase runs 4 halves: 2 per Worker). */
const HALF = {
  "sign-up": Math.round(16 * SCALE),
  "sign-in": Math.round(16 * SCALE),
  "sign-in, wrong password": Math.round(16 * SCALE),
  "sign-in, unknown email": Math.round(16 * SCALE),
  "get-session": Math.round(80 * SCALE),
  "protected route": Math.round(80 * SCALE),
  health: Math.round(80 * SCALE),
  "empty request (404)": Math.round(80 * SCALE),
};
type Phase = keyof typeof HALF;

const serverUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const dbUrl = (name: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};
const run = `${process.pid}`;
const scratch = path.join(tmpdir(), `edge-auth-compare-${run}`);
const startedAt = performance.now();
const log = (line: string) => console.error(`bench: [${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${line}`);

// ------------------------------------------------------------------ setup


async function freshDatabase(name: string): Promise<string> {
  await withClient(serverUrl, async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
  return dbUrl(name);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address !== "string" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface Target {
  name: "edge-auth" | "peer";
  port: number;
  origin: string;
  base: string;
  child: ChildProcess;
  counter: PgWireCounter;
  /** workerd processes running the Worker (not wrangler's dev proxy). */
  workerPids: number[];
  logFile: string;
}

async function startTarget(name: Target["name"], database: string): Promise<Target> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const base = `http://127.0.0.1:${port}`;
  const parsed = new URL(database);
  const counter = await startPgWireCounter({ host: parsed.hostname, port: Number(parsed.port || 5432) });
  parsed.host = `127.0.0.1:${counter.port}`;
  const envFile = path.join(scratch, `${name}.env`);
  writeFileSync(envFile, `APP_SECRET=${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  const logFile = path.join(scratch, `${name}-wrangler.log`);
  const config = name === "edge-auth" ? workerOnlyConfig() : path.join(root, "bench/peer/wrangler.toml");
  const args = [
    path.join(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    "--var",
    `AUTH_BASE_URL:${origin}/api`,
    "--env-file",
    envFile,
    "--persist-to",
    path.join(scratch, `${name}-state`),
    "--show-interactive-dev-session=false",
    "--log-level",
    "warn",
  ];
  if (name === "edge-auth") {
    // The bench signs in without reading mail; the mail catcher is not running.
    args.push("--var", "REQUIRE_EMAIL_VERIFICATION:false", "--var", `TRUSTED_ORIGINS:${origin},${base}`);
  }
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(parsed.toString()),
      WRANGLER_SEND_METRICS: "false",
    },
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const target: Target = { name, port, origin, base, child, counter, workerPids: [], logFile };
  try {
    await waitUntilServing(target);
  } catch (err) {
    await stopTarget(target);
    throw err;
  }
  return target;
}

/**
 * edge-auth's wrangler.toml without its [assets] table. Under wrangler dev,
 * asset routing (a router and an asset Worker deciding that /api/... is not a
 * file) runs as JavaScript in the same workerd process as the Worker, so its
 * CPU would count as edge-auth's; on Cloudflare it runs before the Worker and
 * is not the Worker's CPU. The peer has no assets. Everything else, the Worker
 * included, is the project's own config.
 */
function workerOnlyConfig(): string {
  const source = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const withoutAssets = source.replace(/^\[assets\]\n(?:(?!\[)[^\n]*\n)*/m, "");
  if (withoutAssets === source || /^\[assets\]/m.test(withoutAssets)) throw new Error("bench: wrangler.toml's [assets] table was not found to leave out");
  const file = path.join(scratch, "edge-auth.wrangler.toml");
  // Paths in the copy are relative to it; point main back at the project.
  writeFileSync(file, withoutAssets.replace(/^main = "([^"]+)"/m, (_, main: string) => `main = ${JSON.stringify(path.join(root, main))}`));
  return file;
}

async function waitUntilServing(target: Target): Promise<void> {
  const { name, child, base, port, logFile } = target;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name}: wrangler dev exited (${child.exitCode}); see ${logFile}`);
    if (attempt > 240) throw new Error(`${name}: wrangler dev did not answer within 120 s; see ${logFile}`);
    try {
      const response = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  target.workerPids = workerPids(child.pid!, port);
  if (target.workerPids.length === 0) throw new Error(`${name}: no workerd process found under wrangler dev`);
}

async function stopTarget(target: Target | undefined): Promise<void> {
  if (!target) return;
  const { child } = target;
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      process.kill(-child.pid, "SIGTERM");
      if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await target.counter.stop();
}

// ------------------------------------------------------------------ load

interface Users {
  emails: string[];
  cookies: string[];
}

const clientAddress = () => `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}::${randomBytes(2).toString("hex")}`;

async function send(target: Target, pathname: string, init: { method?: string; body?: unknown; cookie?: string } = {}) {
  const headers = new Headers({ origin: target.origin, "cf-connecting-ip": clientAddress() });
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const response = await fetch(`${target.base}${pathname}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  return response;
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .filter((pair) => !pair!.endsWith("="))
    .join("; ");

/** One request of a phase; resolves to whether it got the answer that phase expects. */
function requestFor(phase: Phase, target: Target, users: Users, i: number): () => Promise<boolean> {
  switch (phase) {
    case "sign-up":
      return async () => {
        const email = `bench-${run}-${target.name}-${i}-${randomBytes(4).toString("hex")}@example.test`;
        const response = await send(target, "/api/auth/sign-up/email", { method: "POST", body: { email, password: PASSWORD, name: "Bench" } });
        await response.arrayBuffer();
        if (response.status === 200) users.emails.push(email);
        return response.status === 200;
      };
    case "sign-in":
      return async () => {
        const email = users.emails[i % users.emails.length]!;
        const response = await send(target, "/api/auth/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
        await response.arrayBuffer();
        if (response.status === 200) users.cookies.push(cookieOf(response));
        return response.status === 200;
      };
    case "sign-in, wrong password":
      return async () => {
        // One attempt per account, so no per-account lockout is measured.
        const email = users.emails[(i + 7) % users.emails.length]!;
        const response = await send(target, "/api/auth/sign-in/email", { method: "POST", body: { email, password: `${PASSWORD}!` } });
        await response.arrayBuffer();
        return response.status === 401;
      };
    case "sign-in, unknown email":
      return async () => {
        const email = `nobody-${randomBytes(6).toString("hex")}@example.test`;
        const response = await send(target, "/api/auth/sign-in/email", { method: "POST", body: { email, password: PASSWORD } });
        await response.arrayBuffer();
        return response.status === 401;
      };
    case "get-session":
    case "protected route": {
      const pathname = phase === "protected route" && target.name === "edge-auth" ? "/api/me" : "/api/auth/get-session";
      return async () => {
        const response = await send(target, pathname, { cookie: users.cookies[i % users.cookies.length] });
        const body = await response.text();
        return response.status === 200 && body !== "null";
      };
    }
    case "health":
      return async () => {
        const response = await send(target, "/api/health");
        await response.arrayBuffer();
        return response.status === 200;
      };
    case "empty request (404)":
      // What any request costs on this stack (wrangler dev's plumbing, the
      // router, the middleware): the floor a protected route is compared with.
      return async () => {
        const response = await send(target, "/api/not-a-route", { cookie: users.cookies[i % users.cookies.length] });
        await response.arrayBuffer();
        return response.status === 404;
      };
  }
}

interface Half {
  requests: number;
  failed: number;
  wallMs: number;
  latencies: number[];
  cpuNs: number;
  statements: number;
  connections: number;
}

async function runHalf(phase: Phase, target: Target, users: Users, offset: number): Promise<Half> {
  const n = HALF[phase];
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  target.counter.reset();
  const cpuBefore = cpuNs(target.workerPids);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = offset + next++;
        const start = performance.now();
        const ok = await requestFor(phase, target, users, i)().catch(() => false);
        latencies.push(performance.now() - start);
        if (!ok) failed++;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  // waitUntil work (closing connections) finishes just after the response.
  await sleep(150);
  const counts = target.counter.counts();
  return { requests: n, failed, wallMs, latencies, cpuNs: cpuNs(target.workerPids) - cpuBefore, statements: counts.statements, connections: counts.connections };
}

interface Row {
  requests: number;
  failed: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerRequest: number;
  statementsPerRequest: number;
  connectionsPerRequest: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function combine(halves: Half[]): Row {
  const requests = halves.reduce((s, h) => s + h.requests, 0);
  const sorted = halves.flatMap((h) => h.latencies).sort((a, b) => a - b);
  return {
    requests,
    failed: halves.reduce((s, h) => s + h.failed, 0),
    rps: requests / (halves.reduce((s, h) => s + h.wallMs, 0) / 1000),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    cpuMsPerRequest: halves.reduce((s, h) => s + h.cpuNs, 0) / 1e6 / requests,
    statementsPerRequest: halves.reduce((s, h) => s + h.statements, 0) / requests,
    connectionsPerRequest: halves.reduce((s, h) => s + h.connections, 0) / requests,
  };
}

// ------------------------------------------------------------------ report

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ratio = (a: number, b: number) => (b > 0 ? f(a / b, 2) : a === 0 ? "0 / 0" : "∞");

function table(results: Record<Phase, { edge: Row; peer: Row }>): string {
  const lines = [
    "| request | metric | edge-auth | stock better-auth | ratio |",
    "|---|---|---:|---:|---:|",
  ];
  for (const [phase, { edge, peer }] of Object.entries(results) as [Phase, { edge: Row; peer: Row }][]) {
    const label = phase === "protected route" ? "protected route (edge /api/me, peer get-session)" : phase;
    const metrics: [string, number, number, number][] = [
      ["Worker CPU ms/req", edge.cpuMsPerRequest, peer.cpuMsPerRequest, 2],
      ["DB statements/req", edge.statementsPerRequest, peer.statementsPerRequest, 2],
      ["DB connections/req", edge.connectionsPerRequest, peer.connectionsPerRequest, 2],
      ["requests/s", edge.rps, peer.rps, 1],
      ["p50 ms", edge.p50, peer.p50, 1],
      ["p95 ms", edge.p95, peer.p95, 1],
      ["p99 ms", edge.p99, peer.p99, 1],
    ];
    metrics.forEach(([name, a, b, digits], i) => lines.push(`| ${i === 0 ? label : ""} | ${name} | ${f(a, digits)} | ${f(b, digits)} | ${ratio(a, b)} |`));
  }
  return lines.join("\n");
}

function goals(results: Record<Phase, { edge: Row; peer: Row }>, bundle: BundleSize | undefined) {
  const signIn = results["sign-in"].edge.cpuMsPerRequest / results["sign-in"].peer.cpuMsPerRequest;
  const route = results["protected route"];
  const routeCpu = route.edge.cpuMsPerRequest / route.peer.cpuMsPerRequest;
  const unknownCpu = results["sign-in, unknown email"].edge.cpuMsPerRequest;
  const unknown = unknownCpu / results["sign-in"].edge.cpuMsPerRequest;
  const unknownVsWrong = unknownCpu / results["sign-in, wrong password"].edge.cpuMsPerRequest;
  return [
    { goal: "sign-in Worker CPU <= 0.45x the peer's", value: `${f(signIn, 2)}x`, met: signIn <= 0.45 },
    { goal: "protected route with a fresh cache: 0 DB statements", value: `${f(route.edge.statementsPerRequest, 2)} statements/req`, met: route.edge.statementsPerRequest === 0 },
    { goal: "protected route Worker CPU <= 0.3x the peer's get-session", value: `${f(routeCpu, 2)}x`, met: routeCpu <= 0.3 },
    { goal: "unknown-email sign-in within 10% of a known-email sign-in (CPU)", value: `${f(unknown, 2)}x`, met: Math.abs(unknown - 1) <= 0.1 },
    {
      goal: "unknown-email sign-in within 10% of a known email with a wrong password (CPU; the answers an attacker compares)",
      value: `${f(unknownVsWrong, 2)}x`,
      met: Math.abs(unknownVsWrong - 1) <= 0.1,
    },
    {
      goal: "bundle < 1 MiB gzip",
      value: bundle ? `${f(bundle.gzipBytes / 1024, 1)} KiB gzip` : "not measured",
      met: bundle ? bundle.gzipBytes < 1024 * 1024 : false,
    },
  ];
}

// ------------------------------------------------------------------ main

async function main() {
  const deadline = setTimeout(() => {
    log("deadline reached; stopping");
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();
  rmSync(scratch, { recursive: true, force: true });
  (await import("node:fs")).mkdirSync(scratch, { recursive: true });
  let edge: Target | undefined;
  let peer: Target | undefined;
  const databases = [`edge_auth_bench_edge_${run}`, `edge_auth_bench_peer_${run}`];
  let finished = false;
  try {
    log(`databases on ${redact(serverUrl)}`);
    const edgeDb = await freshDatabase(databases[0]!);
    await migrate(edgeDb);
    const peerDb = await freshDatabase(databases[1]!);
    await withClient(peerDb, (c) => c.query(readFileSync(path.join(root, "bench/peer/schema.sql"), "utf8")));

    log("starting both Workers under wrangler dev");
    const started = await Promise.allSettled([startTarget("edge-auth", edgeDb), startTarget("peer", peerDb)]);
    edge = started[0].status === "fulfilled" ? started[0].value : undefined;
    peer = started[1].status === "fulfilled" ? started[1].value : undefined;
    for (const result of started) if (result.status === "rejected") throw result.reason;
    if (!edge || !peer) throw new Error("a Worker did not start");
    log(`edge-auth on ${edge.base} (workerd ${edge.workerPids.join(",")}), peer on ${peer.base} (workerd ${peer.workerPids.join(",")})`);

    const users = { "edge-auth": { emails: [], cookies: [] } as Users, peer: { emails: [], cookies: [] } as Users };
    // Warm-up: compile and JIT every path once per Worker, outside the figures.
    for (const target of [edge, peer]) {
      const warm: Users = { emails: [], cookies: [] };
      for (const phase of Object.keys(HALF) as Phase[]) for (let i = 0; i < 4; i++) await requestFor(phase, target, warm, i)();
    }

    const results = {} as Record<Phase, { edge: Row; peer: Row }>;
    for (const phase of Object.keys(HALF) as Phase[]) {
      const halves = { "edge-auth": [] as Half[], peer: [] as Half[] };
      // A B B A.
      for (const [k, target] of [edge, peer, peer, edge].entries()) {
        const half = await runHalf(phase, target, users[target.name], k < 2 ? 0 : HALF[phase]);
        halves[target.name].push(half);
      }
      results[phase] = { edge: combine(halves["edge-auth"]), peer: combine(halves.peer) };
      const { edge: e, peer: p } = results[phase];
      log(`${phase}: CPU ${f(e.cpuMsPerRequest, 2)} vs ${f(p.cpuMsPerRequest, 2)} ms/req, statements ${f(e.statementsPerRequest, 2)} vs ${f(p.statementsPerRequest, 2)}, failed ${e.failed}/${p.failed}`);
      if (e.failed || p.failed) log(`warning: ${phase}: ${e.failed} edge-auth and ${p.failed} peer requests did not get the expected answer`);
    }

    await stopTarget(edge);
    await stopTarget(peer);
    [edge, peer] = [undefined, undefined];
    log("measuring the bundle (wrangler deploy --dry-run)");
    let bundle: BundleSize | undefined;
    try {
      bundle = measureBundle();
    } catch (err) {
      log(`bundle not measured: ${err instanceof Error ? err.message : String(err)}`);
    }

    const report = {
      when: new Date().toISOString(),
      machine: { concurrency: CONCURRENCY, scale: SCALE, requestsPerHalf: HALF },
      results,
      bundle,
      goals: goals(results, bundle),
    };
    writeFileSync(path.join(root, "bench/results.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `## edge-auth vs stock better-auth (wrangler dev on this machine; A B B A halves, ${CONCURRENCY} keep-alive clients; ratio = edge-auth / peer)\n`,
    );
    console.log(table(results));
    console.log("\n## Goals (issue 11)\n");
    console.log("| goal | measured | met |\n|---|---|---|");
    for (const g of report.goals) console.log(`| ${g.goal} | ${g.value} | ${g.met ? "yes" : "NO"} |`);
    const floor = results["empty request (404)"];
    const route = results["protected route"];
    console.log(
      `\nAn empty request (a 404 through the same stack) costs edge-auth ${f(floor.edge.cpuMsPerRequest, 2)} ms and the peer ${f(floor.peer.cpuMsPerRequest, 2)} ms; ` +
        `edge-auth's protected route is ${f(route.edge.cpuMsPerRequest - floor.edge.cpuMsPerRequest, 2)} ms over it, the peer's get-session ${f(route.peer.cpuMsPerRequest - floor.peer.cpuMsPerRequest, 2)} ms.`,
    );
    console.log(
      "\nWritten to bench/results.json. Worker CPU excludes wrangler's dev proxy and edge-auth's asset routing (run without [assets]); compare ratios, not absolute numbers.",
    );
    finished = true;
  } finally {
    await stopTarget(edge);
    await stopTarget(peer);
    if (!KEEP) {
      for (const name of databases) await withClient(serverUrl, (c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    }
    if (!finished) log(`wrangler logs kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench: failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
