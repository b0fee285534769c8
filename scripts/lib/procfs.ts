// What Linux's /proc says about processes and listening sockets: the dev
// server watches its parents with it, the dev tests check nothing is left
// listening, and the bench finds the Worker's workerd processes. Where there
// is no /proc (macOS), lookups find nothing.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The parent of `pid`, or undefined once it is gone (or without /proc). */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const all = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  const children = new Map<number, number[]>();
  for (const p of all) {
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** inode -> port of every TCP socket in LISTEN state (IPv4 and IPv6). */
export function listeningSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A") continue;
      sockets.set(fields[9]!, parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  return sockets;
}

/** The ports the given processes listen on. */
export function listeningPorts(pids: number[]): number[] {
  const sockets = listeningSockets();
  const ports = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        const port = inode && sockets.get(inode);
        if (port) ports.add(port);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** A `wrangler dev`'s Worker processes: every workerd under it except its dev proxy's (the one serving the public port). */
export function workerPids(wranglerPid: number, publicPort: number): number[] {
  return processTree(wranglerPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd" && !listeningPorts([pid]).includes(publicPort);
    } catch {
      return false;
    }
  });
}

/** Nanoseconds on CPU of every thread of `pids`. */
export function cpuNs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        try {
          total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
        } catch {
          // thread ended
        }
      }
    } catch {
      // process ended
    }
  }
  return total;
}
