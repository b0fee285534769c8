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
