import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { Client } from "pg";
import * as schema from "./schema";

export type Database = NodePgDatabase<typeof schema>;

/** The database could not be reached, or the connection was lost mid-request. */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

export interface Connection {
  db: Database;
  /** True once the connection has failed; queries after that cannot succeed. */
  readonly lost: boolean;
  close(): Promise<void>;
}

// A hung TCP handshake must not hold the request until the platform kills it.
const CONNECT_TIMEOUT_MS = 5_000;

// SQLSTATE classes that mean "the server is not there for you right now":
// 08 connection exception, 57P01..57P03 shutdown/cannot connect, 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

export function isConnectionError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || code.startsWith("ECONN"))) return true;
  return /connection (terminated|refused|reset|lost|timeout)|network connection lost|stream was cancelled/i.test(err.message);
}

/**
 * Opens one connection for one request. Workers forbid sharing sockets between
 * requests, and Hyperdrive pools the real connections, so a client per request
 * is the documented pattern.
 */
export async function connect(connectionString: string): Promise<Connection> {
  const client = new Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  let lost = false;
  // Without a listener, a dropped socket would be an uncaught error event.
  client.on("error", () => {
    lost = true;
  });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnavailableError(`connect failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return {
    db: drizzle(client, { schema }),
    get lost() {
      return lost;
    },
    close: () => client.end().catch(() => undefined),
  };
}
