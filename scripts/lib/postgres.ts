// Node-side helpers shared by `npm run dev`, the test setup and the operator
// scripts: find a PostgreSQL to use, or start an embedded one.
import { mkdirSync } from "node:fs";
import pg from "pg";

/** Answers whether a server accepts a connection at `url` within `timeoutMs`. */
export async function canConnect(url: string, timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL compiled to WASM) served over TCP, so the Worker reaches
 * it through the Hyperdrive binding like a real server. `dataDir` keeps the
 * data between runs; without it the database lives in memory.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  // PGlite runs one query at a time; the server multiplexes client
  // connections onto it, and the Worker opens one connection per request.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: 64 });
  oneClientAtATime(server);
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(":").pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

interface QueryQueue {
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number>;
  clearQueueForHandler(handlerId: number): void;
}

const TERMINATE = 0x58; // 'X'

/**
 * PGlite is one PostgreSQL session; pglite-socket feeds it the messages of
 * every client connection in arrival order, keeping only transactions
 * together. node-postgres sends a query as several extended-protocol
 * messages (Parse, Bind, Execute, Sync), so two concurrent Worker requests
 * could interleave theirs and get each other's statements or errors. Here a
 * client owns the session from its first message until PGlite reports
 * ReadyForQuery idle ('Z' ... 'I'): outside a transaction, at a message
 * boundary the protocol defines. Others wait their turn.
 */
function oneClientAtATime(server: object): void {
  const queue = (server as { queryQueue?: QueryQueue }).queryQueue;
  if (!queue) throw new Error("pglite-socket changed: no queryQueue to serialise clients on");
  const enqueue = queue.enqueue.bind(queue);
  const clear = queue.clearQueueForHandler.bind(queue);
  let owner: number | undefined;
  const waiting: (() => void)[] = [];
  const gone = new Set<number>();
  // Waiters re-check: one of them takes the session; any of the new owner's
  // own messages (a client's messages can arrive in several chunks) go on too.
  const wakeAll = () => {
    for (const wake of waiting.splice(0)) wake();
  };
  const release = () => {
    owner = undefined;
    wakeAll();
  };
  queue.enqueue = async (handlerId, message, onData) => {
    while (owner !== undefined && owner !== handlerId) await new Promise<void>((resolve) => waiting.push(resolve));
    if (gone.has(handlerId)) return 0;
    if (owner === undefined) {
      owner = handlerId;
      wakeAll();
    }
    let tail = new Uint8Array(0);
    let failed = false;
    try {
      return await enqueue(handlerId, message, (data) => {
        tail = data.length >= 6 ? data.slice(-6) : Uint8Array.from([...tail, ...data].slice(-6));
        onData(data);
      });
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      const idle = tail.length === 6 && tail[0] === 0x5a && tail[4] === 5 && tail[5] === 0x49; // Z, length 5, 'I'
      if (idle || failed || message[0] === TERMINATE) release();
    }
  };
  queue.clearQueueForHandler = (handlerId) => {
    gone.add(handlerId);
    clear(handlerId);
    if (owner === handlerId) release();
  };
}

/** Hides the password when a URL has to be shown to a person. */
export function redact(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return "<invalid database URL>";
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * The Hyperdrive binding insists on a password in its connection string. A
 * trust-auth server and PGlite ignore it, so a placeholder is harmless there.
 */
export function withPassword(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = "postgres";
  if (!parsed.username) parsed.username = "postgres";
  return parsed.toString();
}

/** Runs `fn` on a client of its own connected to `url`, and closes it (tooling: the bench, its cleanup run). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
