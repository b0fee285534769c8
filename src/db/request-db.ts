import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle } from "drizzle-orm/node-postgres";
import type { Connection, Database } from "./client";
import * as schema from "./schema";

// The connection of the request being served. Workers forbid sharing a
// socket between requests, so each request has its own (lazyConnection);
// this is how code built once per isolate reaches it.
const current = new AsyncLocalStorage<Connection>();

/** Runs `fn` (a request's handling) with `connection` as the one `requestDb` queries on. */
export function runWithConnection<T>(connection: Connection, fn: () => T): T {
  return current.run(connection, fn);
}

/** Writes sent on the current request's connection so far (Connection.writes); 0 outside a request. */
export function requestWrites(): number {
  return current.getStore()?.writes ?? 0;
}

/**
 * What Drizzle needs of a pg client: `query`. Drizzle's node-postgres session
 * only ever calls it (transactions are BEGIN/COMMIT through it), so every
 * statement, inside a transaction too, goes to the current request's client.
 */
const requestClient = {
  query(...args: Parameters<Connection["client"]["query"]>) {
    const connection = current.getStore();
    if (!connection) throw new Error("requestDb used outside a request (no runWithConnection)");
    return connection.client.query(...args);
  },
};

/**
 * Drizzle for the Worker's requests, built once per isolate: building it per
 * request (it walks the schema's relations) cost CPU on every request. It
 * holds no connection and no request state; each query runs on the
 * connection of the request it is made in (runWithConnection).
 */
export const requestDb: Database = drizzle({ client: requestClient as never, schema });
