// Profiles one request type in edge-auth under `wrangler dev` with V8's
// sampling profiler (over the inspector), and prints where the Worker's time
// goes, by package and by function. For finding what to make cheaper; the
// comparison with stock better-auth is `npm run bench`.
//
//   npx tsx bench/profile.ts [sign-in|wrong-password|unknown-email|get-session|me|not-found|health] [requests]
//   PROFILE_CPU=7 npx tsx bench/profile.ts me 400   (no profiler: Worker CPU per request, 7 rounds)
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SourceMapConsumer } from "source-map-js";
import { readdirSync, readFileSync } from "node:fs";
import { migrate } from "../scripts/lib/migrate";
import { withClient, withPassword } from "../scripts/lib/postgres";
import { cpuNs, workerPids } from "../scripts/lib/procfs";

const root = path.resolve(import.meta.dirname, "..");
const kind = process.argv[2] ?? "sign-in";
const count = Number(process.argv[3] ?? 60);
const server = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const dbName = `edge_auth_profile_${process.pid}`;
const scratch = path.join(tmpdir(), `edge-auth-profile-${process.pid}`);
mkdirSync(scratch, { recursive: true });

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const sql = (url: string, text: string) => withClient(url, (client) => client.query(text));

const url = new URL(server);
url.pathname = `/${dbName}`;
await sql(server, `CREATE DATABASE ${dbName}`);
await migrate(url.toString());
if (process.env.PROFILE_LOG_SQL) await sql(server, `ALTER DATABASE ${dbName} SET log_statement = 'all'`);
const port = await freePort();
const inspector = await freePort();
const origin = `http://localhost:${port}`;
const base = `http://127.0.0.1:${port}`;
writeFileSync(path.join(scratch, "env"), `APP_SECRET=${randomBytes(32).toString("base64url")}\n`);
const child = spawn(
  process.execPath,
  [
    path.join(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    ...(process.env.PROFILE_CONFIG ? ["--config", process.env.PROFILE_CONFIG] : []),
    "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
    "--var", `AUTH_BASE_URL:${origin}/api`, "--var", "REQUIRE_EMAIL_VERIFICATION:false", "--var", `TRUSTED_ORIGINS:${origin},${base}`,
    "--env-file", path.join(scratch, "env"), "--persist-to", path.join(scratch, "state"),
    "--show-interactive-dev-session=false", "--log-level", "warn",
  ],
  { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(url.toString()), WRANGLER_SEND_METRICS: "false" } },
);
const log = createWriteStream(path.join(scratch, "wrangler.log"));
child.stdout!.pipe(log);
child.stderr!.pipe(log);
const ip = () => `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}::1`;
const send = (p: string, init: { method?: string; body?: unknown; cookie?: string } = {}) =>
  fetch(`${base}${p}`, {
    method: init.method ?? "GET",
    headers: { origin, "cf-connecting-ip": ip(), ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.body ? { "content-type": "application/json" } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });

try {
  for (let i = 0; ; i++) {
    if (i > 240) throw new Error("wrangler dev did not start");
    try {
      if ((await send("/api/health")).ok) break;
    } catch {}
    await sleep(500);
  }
  const email = `p${process.pid}@example.com`;
  const password = "correct horse battery staple";
  const up = await send("/api/auth/sign-up/email", { method: "POST", body: { email, password, name: "P" } });
  if (!up.ok) throw new Error(`sign-up ${up.status} ${await up.text()}`);
  const signIn = await send("/api/auth/sign-in/email", { method: "POST", body: { email, password } });
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const request = () => {
    switch (kind) {
      case "sign-in": return send("/api/auth/sign-in/email", { method: "POST", body: { email, password } });
      case "wrong-password": return send("/api/auth/sign-in/email", { method: "POST", body: { email, password: "wrong password!" } });
      case "unknown-email": return send("/api/auth/sign-in/email", { method: "POST", body: { email: `n${Math.random()}@example.com`, password } });
      case "get-session": return send("/api/auth/get-session", { cookie });
      case "me": return send("/api/me", { cookie });
      case "not-found": return send("/api/not-a-route");
      default: return send("/api/health");
    }
  };
  for (let i = 0; i < 10; i++) await (await request()).arrayBuffer();

  if (process.env.PROFILE_CPU) {
    // No profiler: Worker CPU per request from /proc (every workerd under
    // wrangler except its dev proxy's), in PROFILE_CPU rounds, for A/B checks.
    const pids = workerPids(child.pid!, port);
    const cpu = () => cpuNs(pids);
    const rounds: number[] = [];
    for (let r = 0; r < Number(process.env.PROFILE_CPU); r++) {
      const before = cpu();
      for (let i = 0; i < count; i++) await (await request()).arrayBuffer();
      rounds.push((cpu() - before) / 1e6 / count);
    }
    const sorted = [...rounds].sort((a, b) => a - b);
    console.log(`${kind}: Worker CPU ms/request per round ${rounds.map((x) => x.toFixed(2)).join(" ")}; median ${sorted[sorted.length >> 1]!.toFixed(2)}, min ${sorted[0]!.toFixed(2)}`);
    process.exitCode = 0;
  } else {

  const targets = (await (await fetch(`http://127.0.0.1:${inspector}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
  const target = targets.find((t) => t.title.includes("edge-auth")) ?? targets[0]!;
  // wrangler's inspector proxy refuses a WebSocket without an allowed Origin;
  // Node's (undici's) takes headers in its init.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map<number, (v: any) => void>();
  ws.onmessage = (event) => {
    const m = JSON.parse(String(event.data));
    if (m.id && pending.has(m.id)) pending.get(m.id)!(m.result);
  };
  const call = (method: string, params = {}) => new Promise<any>((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  await call("Profiler.start");
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const r = await request();
    await r.arrayBuffer();
    if (i === 0) console.error(`status ${r.status}`);
  }
  const wall = performance.now() - t0;
  const { profile } = await call("Profiler.stop");
  ws.close();
  writeFileSync(path.join(scratch, "profile.cpuprofile"), JSON.stringify(profile));

  const tmp = path.join(root, ".wrangler/tmp");
  const mapDir = readdirSync(tmp).find((d) => d.startsWith("dev-"));
  const consumer = mapDir ? new SourceMapConsumer(JSON.parse(readFileSync(path.join(tmp, mapDir, "index.js.map"), "utf8"))) : undefined;
  type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] };
  for (const n of profile.nodes as Node[]) {
    if (consumer && n.callFrame.url.endsWith("index.js") && n.callFrame.lineNumber >= 0) {
      const o = consumer.originalPositionFor({ line: n.callFrame.lineNumber + 1, column: n.callFrame.columnNumber });
      if (o.source) { n.callFrame.url = o.source; n.callFrame.lineNumber = (o.line ?? 0) - 1; }
    }
  }
  const nodes = new Map<number, Node>(profile.nodes.map((n: Node) => [n.id, n]));
  const self = new Map<number, number>();
  const deltas: number[] = profile.timeDeltas;
  profile.samples.forEach((s: number, i: number) => self.set(s, (self.get(s) ?? 0) + (deltas[i] ?? 0)));
  const byPkg = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  const pkg = (u: string) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
    if (m) return m[1]!;
    if (/\/src\//.test(u)) return "src/" + (u.split("/src/")[1] ?? "");
    return u || "(native)";
  };
  for (const [nid, us] of self) {
    const n = nodes.get(nid)!;
    const fnName = n.callFrame.functionName || "(anonymous)";
    if (fnName === "(idle)" || fnName === "(program)") { byPkg.set(fnName, (byPkg.get(fnName) ?? 0) + us); continue; }
    total += us;
    const p = ["(garbage collector)", "(root)"].includes(fnName) ? fnName : pkg(n.callFrame.url);
    byPkg.set(p, (byPkg.get(p) ?? 0) + us);
    const k = `${fnName} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`;
    byFn.set(k, (byFn.get(k) ?? 0) + us);
  }
  const ms = (us: number) => (us / 1000 / count).toFixed(2);
  console.log(`${kind}: ${count} requests, ${(wall / count).toFixed(1)} ms wall each, ${ms(total)} ms sampled JS+GC per request (excl. idle/program)`);
  console.log("\nby package (ms/request):");
  for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms(v).padStart(7)}  ${k}`);
  console.log("\nby function (self ms/request):");
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${ms(v).padStart(7)}  ${k}`);
  // Inclusive time of the functions named in PROFILE_FUNCTIONS (comma-separated), counted once per stack.
  const wanted = (process.env.PROFILE_FUNCTIONS ?? "").split(",").filter(Boolean);
  if (wanted.length) {
    const parent = new Map<number, number>();
    for (const n of profile.nodes as Node[]) for (const c of n.children ?? []) parent.set(c, n.id);
    const inclusive = new Map<string, number>();
    for (const [nid, us] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = nid; cur !== undefined; cur = parent.get(cur)) {
        const n = nodes.get(cur)!;
        const name = n.callFrame.functionName;
        const hit = wanted.find((w) => name === w || `${name}@${n.callFrame.url.split("/").pop()}` === w);
        if (hit && !seen.has(hit)) { seen.add(hit); inclusive.set(hit, (inclusive.get(hit) ?? 0) + us); }
      }
    }
    console.log("\ninclusive (ms/request):");
    for (const w of wanted) console.log(`  ${ms(inclusive.get(w) ?? 0).padStart(7)}  ${w}`);
  }
  if (process.env.PROFILE_TREE) {
    const min = Number(process.env.PROFILE_TREE) * 1000 * count;
    const incl = new Map<number, number>();
    const total = (id: number): number => {
      const n = nodes.get(id)!;
      const v = (self.get(id) ?? 0) + (n.children ?? []).reduce((a, c) => a + total(c), 0);
      incl.set(id, v);
      return v;
    };
    const rootNode = (profile.nodes as Node[])[0]!;
    total(rootNode.id);
    const walk = (id: number, depth: number) => {
      const n = nodes.get(id)!;
      if ((incl.get(id) ?? 0) < min) return;
      console.log(`${"  ".repeat(depth)}${ms(incl.get(id)!)} ${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*node_modules\//, "").replace(/.*\/src\//, "src/")}:${n.callFrame.lineNumber + 1}`);
      for (const c of [...(n.children ?? [])].sort((a, b) => (incl.get(b) ?? 0) - (incl.get(a) ?? 0))) walk(c, depth + 1);
    };
    console.log("\ntree (inclusive ms/request):");
    walk(rootNode.id, 0);
  }
  console.log(`\nprofile: ${path.join(scratch, "profile.cpuprofile")}`);
  }
} finally {
  try { process.kill(-child.pid!, "SIGTERM"); } catch {}
  await sleep(1500);
  await sql(server, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}
