// edge-auth/client as another project gets it: `npm pack` this repository
// (prepare builds dist/), install the tarball into a throwaway project, then
// sign up, sign in and read the tier from plain Node against `npm run dev`,
// and type-check a typed snippet there under lib ["DOM"].
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDev, type DevServer } from "./harness";

const root = path.resolve(import.meta.dirname, "../..");
// The npm that runs this script (npm run test:e2e), else the one on PATH.
const npm = (args: string[], cwd: string) =>
  process.env.npm_execpath ? run(process.execPath, [process.env.npm_execpath, ...args], cwd) : run("npm", args, cwd);
const node = process.execPath;
let dev: DevServer;
let consumer: string;

function run(file: string, args: string[], cwd: string) {
  return execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
}

beforeAll(async () => {
  consumer = mkdtempSync(path.join(tmpdir(), "edge-auth-consumer-"));
  npm(["pack", "--silent", "--pack-destination", consumer], root);
  const tarball = readdirSync(consumer).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { "edge-auth": `file:./${tarball}` } }),
  );
  // From the registry (or npm's cache): no other host.
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], consumer);
  dev = await startDev({ REQUIRE_EMAIL_VERIFICATION: "false" });
}, 300_000);

afterAll(async () => {
  await dev?.stop();
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe("edge-auth/client in another project", () => {
  it("signs up, signs in and reads the tier from plain Node", () => {
    writeFileSync(
      path.join(consumer, "main.mjs"),
      `import { createEdgeAuthClient } from "edge-auth/client";
const [origin, email] = process.argv.slice(2);
// Node's fetch sends no Origin and keeps no cookies: do both, as a browser would.
const jar = new Map(); // cookie name -> value, merged like a browser's
const client = createEdgeAuthClient(origin + "/api", {
  customFetchImpl: async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("origin", origin);
    if (jar.size) headers.set("cookie", [...jar].map(([name, value]) => name + "=" + value).join("; "));
    const response = await fetch(input, { ...init, headers });
    for (const set of response.headers.getSetCookie()) {
      const pair = set.split(";")[0];
      jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
    return response;
  },
});
const password = "correct horse battery staple";
const up = await client.signUp.email({ email, password, name: "Node" });
if (up.error) throw new Error("sign-up: " + JSON.stringify(up.error));
await client.signOut();
jar.clear();
const signedIn = await client.signIn.email({ email, password });
if (signedIn.error) throw new Error("sign-in: " + JSON.stringify(signedIn.error));
const { data } = await client.getSession();
console.log(JSON.stringify({ email: data.user.email, tier: data.user.tier, role: data.user.role, isAnonymous: data.user.isAnonymous ?? false }));
`,
    );
    const email = `consumer-${Date.now().toString(36)}@example.test`;
    const out = run(node, ["main.mjs", dev.url, email], consumer).trim().split("\n").at(-1)!;
    expect(JSON.parse(out)).toEqual({ email, tier: "free", role: "user", isAnonymous: false });
  });

  it("type-checks a typed snippet with lib DOM, without the server's types", () => {
    writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "DOM"], types: [], noEmit: true, skipLibCheck: true },
        files: ["check.ts"],
      }),
    );
    writeFileSync(
      path.join(consumer, "check.ts"),
      `import { createEdgeAuthClient, type EdgeAuthClient, type Tier } from "edge-auth/client";
// A cross-site front end: the browser sends the cookie with credentials: "include".
const client: EdgeAuthClient = createEdgeAuthClient("https://auth.example.com/api", { credentials: "include" });
export async function show(): Promise<string> {
  const { data } = await client.getSession();
  if (!data) return "signed out";
  const tier: Tier = data.user.tier;
  const role: string | null | undefined = data.user.role;
  const anonymous: boolean | null | undefined = data.user.isAnonymous;
  // Sessions by id (the server's session-ids plugin): typed too.
  if (tier === "anonymous") await client.revokeSessionById({ id: data.session.id });
  // @ts-expect-error the tier is one of three strings, not any string
  const wrong: "admin" = data.user.tier;
  return [tier, role, anonymous, wrong].join(" ");
}
`,
    );
    // The repository's compiler over the consumer's node_modules.
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    let output = "";
    try {
      output = run(node, [tsc, "-p", "tsconfig.json"], consumer);
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
      throw new Error(`tsc failed in the consumer project:\n${output}`);
    }
    expect(output).toBe("");
  });
});
