// One owner per embedded database directory. PGlite is PostgreSQL in one
// process: two processes opening the same directory each keep their own view
// and overwrite each other's files. So whoever opens it (`npm run dev`, or
// `npm run admin` while no server runs) first claims `<dir>.lock`, created
// exclusively, naming its pid and, once listening, its database URL. Others
// refuse (dev) or go through the owner's server (admin).
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

export interface DataDirOwner {
  pid: number;
  host: string;
  /** What holds it: "npm run dev" or "npm run admin". */
  command: string;
  startedAt: string;
  /** The owner's PostgreSQL (PGlite over TCP), once it listens. */
  databaseUrl?: string;
  /** The Worker's URL, for `npm run dev`. */
  serverUrl?: string;
}

/** A path as the developer would type it: relative when under the current directory. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return !relative ? "." : relative.startsWith("..") ? path.resolve(file) : relative;
}

export function lockPath(dataDir: string): string {
  return `${path.resolve(dataDir).replace(/[\\/]+$/, "")}.lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as { code?: string }).code === "EPERM";
  }
}

/** The live owner of `dataDir`, if any. A lock left by a process that is gone does not count. */
export function readOwner(dataDir: string): DataDirOwner | undefined {
  let owner: DataDirOwner;
  try {
    owner = JSON.parse(readFileSync(lockPath(dataDir), "utf8")) as DataDirOwner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid)) return undefined;
  // On another host (a shared folder) the pid says nothing: assume it is alive.
  if (owner.host === hostname() && !alive(owner.pid)) return undefined;
  return owner;
}

export interface DataDirLock {
  /** Records what others should know once it is known (the URLs). */
  update(fields: Partial<DataDirOwner>): void;
  release(): void;
}

export type ClaimResult = { ok: true; lock: DataDirLock; tookOverFrom?: number } | { ok: false; owner: DataDirOwner };

/** Claims `dataDir` for this process, or names who holds it. */
export function claimDataDir(dataDir: string, command: string): ClaimResult {
  const file = lockPath(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const me: DataDirOwner = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const owner = readOwner(dataDir);
      if (owner) return { ok: false, owner };
      // Left behind by a process that died without cleaning up.
      try {
        tookOverFrom = (JSON.parse(readFileSync(file, "utf8")) as DataDirOwner).pid;
      } catch {
        // Unreadable: half-written by a process that died at once.
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    let state = me;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        // Only our own lock: never one a later owner wrote after a takeover.
        if ((JSON.parse(readFileSync(file, "utf8")) as DataDirOwner).pid === process.pid) rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    };
    process.once("exit", release);
    return {
      ok: true,
      tookOverFrom,
      lock: {
        update(fields) {
          state = { ...state, ...fields };
          writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
        },
        release,
      },
    };
  }
  throw new Error(`could not claim ${file}`);
}

/** "npm run dev (pid 123, serving http://localhost:8787, since 19:40:01)". */
export function describeOwner(owner: DataDirOwner): string {
  const details = [`pid ${owner.pid}`];
  if (owner.host !== hostname()) details.push(`on ${owner.host}`);
  if (owner.serverUrl) details.push(`serving ${owner.serverUrl}`);
  const since = new Date(owner.startedAt);
  if (!Number.isNaN(since.getTime())) details.push(`since ${since.toTimeString().slice(0, 8)}`);
  return `${owner.command} (${details.join(", ")})`;
}
