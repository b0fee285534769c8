import { DrizzleQueryError } from "drizzle-orm/errors";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { Client } from "pg";
import * as schema from "./schema";

export type Database = NodePgDatabase<typeof schema>;

/** The database could not be reached, or the connection was lost mid-request. */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
}

// A hung TCP handshake must not hold the request until the platform kills it.
const CONNECT_TIMEOUT_MS = 5_000;

// SQLSTATE classes that mean "the server is not there for you right now":
// 08 connection exception, 57P01..57P03 shutdown/cannot connect, 53300 too many connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const CONNECTION_MESSAGE =
  /connection (terminated|refused|reset|lost|timeout)|connection error|not queryable|network connection lost|stream was cancelled|socket has been closed/i;

/**
 * The error and its causes, outermost first. Drizzle wraps driver errors in a
 * DrizzleQueryError whose own message quotes the SQL and its parameters, so
 * only the causes' messages and codes say what went wrong.
 */
function chain(err: unknown): Error[] {
  const errors: Error[] = [];
  for (let e = err; e instanceof Error && errors.length < 8; e = e.cause) errors.push(e);
  return errors;
}

const isQueryWrapper = (e: Error) => e instanceof DrizzleQueryError;

export function isConnectionError(err: unknown): boolean {
  return chain(err).some((e) => {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || code.startsWith("ECONN"))) return true;
    return !isQueryWrapper(e) && CONNECTION_MESSAGE.test(e.message);
  });
}

/** The PostgreSQL SQLSTATE of a failed query, if the failure came from the server. */
export function sqlState(err: unknown): string | undefined {
  for (const e of chain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * A one-line description that is safe to log: error names, SQLSTATE and the
 * driver's message, never the SQL parameters (tokens, emails, hashes).
 */
export function describeError(err: unknown): string {
  const errors = chain(err);
  if (errors.length === 0) return String(err);
  const names = errors.map((e) => (isQueryWrapper(e) ? "DrizzleQueryError" : e.name)).join(" <- ");
  const root = errors.find((e) => !isQueryWrapper(e));
  const code = sqlState(err);
  return `${names}${code ? ` [${code}]` : ""}${root ? `: ${root.message}` : ""}`;
}

export interface Connection {
  /**
   * The pg client, built on first use; its `query` connects first. What
   * `requestDb` (request-db.ts) sends a request's queries to.
   */
  readonly client: Pick<Client, "query">;
  /** Drizzle over this connection's own client (tooling, the cleanup job), built on first use. */
  readonly db: Database;
  /** True once a query (or open()) has made the client connect. */
  readonly opened: boolean;
  /** Connects now, if no query has yet; a failure is a DatabaseUnavailableError. */
  open(): Promise<void>;
  /** True once the client has reported its socket failing. */
  readonly lost: boolean;
  /** Statements other than a plain SELECT sent so far: what a request-local copy of a row is checked against. */
  readonly writes: number;
  /**
   * Whether the connection still answers. The client's error event can trail
   * the failed query, so after a failure this is the reliable question.
   */
  alive(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * One connection for one request, opened by its first query: a request that
 * never queries (a fresh session cookie, a 404) opens no socket. Workers
 * forbid sharing sockets between requests, and Hyperdrive pools the real
 * connections, so a client per request is the documented pattern. The pg
 * Client and Drizzle are built on first use of `db` too: building them
 * (pg parses the connection string and reads its PG* defaults) is CPU a
 * request answered from the session cache need not spend. (A Worker request
 * queries through `requestDb`, one Drizzle per isolate; `db` here is for
 * tooling and jobs that hold a connection of their own.)
 */
export function lazyConnection(connectionString: string): Connection {
  let lost = false;
  let writes = 0;
  let connecting: Promise<void> | undefined;
  let built: { client: Client; query: (...args: unknown[]) => Promise<unknown>; ready: () => Promise<void> } | undefined;
  let db: Database | undefined;
  const build = () => {
    if (built) return built;
    const client = new Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // Without a listener, a dropped socket would be an uncaught error event.
    client.on("error", () => {
      lost = true;
    });
    const ready = () =>
      (connecting ??= client.connect().then(
        () => undefined,
        (err: unknown) => {
          throw new DatabaseUnavailableError(`connect failed: ${err instanceof Error ? err.message : String(err)}`, {
            cause: err,
          });
        },
      ));
    // Drizzle (and so better-auth) only ever calls client.query, transactions
    // included (BEGIN/COMMIT on this one client): connect before the first one.
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args) => {
      const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
      if (typeof text !== "string" || !/^\s*select\s/i.test(text)) writes++;
      await ready();
      return query(...args);
    };
    built = { client, query, ready };
    return built;
  };
  return {
    get client() {
      return build().client;
    },
    get db() {
      return (db ??= drizzle({ client: build().client, schema }));
    },
    get opened() {
      return connecting !== undefined;
    },
    open: () => build().ready(),
    get lost() {
      return lost;
    },
    get writes() {
      return writes;
    },
    alive: async () => {
      if (!connecting || !built) return true;
      if (lost) return false;
      try {
        await built.ready();
        await built.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      if (!connecting || !built) return;
      const { client } = built;
      await connecting.then(
        () => client.end(),
        () => undefined,
      ).catch(() => undefined);
    },
  };
}

/** A connection opened now (operator tooling, the cleanup job). */
export async function connect(connectionString: string): Promise<Connection> {
  const connection = lazyConnection(connectionString);
  await connection.open();
  return connection;
}
