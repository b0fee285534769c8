// Helpers to run the real `npm run dev` (and `npm run admin`) from tests:
// random ports, their own data directory and env file (never the clone's
// .dev.vars), and the process tree and listening ports they leave behind.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { listeningPorts, listeningSockets, processTree } from "../../scripts/lib/procfs";

export { listeningPorts, processTree };

export const root = path.resolve(import.meta.dirname, "../..");

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The environment of the test process minus everything that would steer npm run dev: only `env` does. */
export function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  const wranglerVars = [...readFileSync(path.join(root, "wrangler.toml"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((m) => m[1]!);
  for (const name of ["DATABASE_URL", "PORT", "MAIL_PORT", "APP_SECRET", "NODE_ENV", ...wranglerVars]) delete out[name];
  for (const name of Object.keys(out)) if (name.startsWith("VITEST") || name.startsWith("npm_")) delete out[name];
  return { ...out, WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", NO_COLOR: "1", ...env };
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves when the output matches, rejects when the process exits first or the time is up. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** `group`: in a process group of its own, like a terminal's foreground job (to send it Ctrl-C's SIGINT). */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, group = false): Proc {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: group });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) done(resolve);
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${output}`))), timeoutMs);
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        void exited.then((code) => done(() => (pattern.test(output) ? resolve() : reject(new Error(`exited (${code}) before ${pattern}:\n${output}`)))));
        check();
      });
    },
  };
}

/** `npm run dev -- <args>` */
export function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv, group = false): Proc {
  return run("npm", ["run", "--silent", script, "--", ...args], env, group);
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie has exited; only its parent has not reaped it yet.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Of `ports`, those anything on this machine still listens on. */
export function stillListening(ports: number[]): number[] {
  const listening = new Set(listeningSockets().values());
  return ports.filter((port) => listening.has(port));
}

export async function eventually<T>(probe: () => T, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = probe();
  }
  return value;
}

/** Last resort after a test: nothing it started may outlive it. */
export function killTree(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }
}
