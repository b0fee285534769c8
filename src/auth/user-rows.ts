import type { BetterAuthOptions, DBAdapter, DBTransactionAdapter, Where } from "better-auth";
import { requestWrites } from "../db/request-db";
import { requestLocal } from "./request-scope";

type Row = Record<string, unknown>;

// User rows this request has read, by id, with the connection's write count
// at the time: a copy is good only while nothing has been written since.
const seen = requestLocal(() => new Map<string, { row: Row; writes: number }>());

const byIdOnly = (where: Where[] | undefined): string | undefined => {
  if (where?.length !== 1) return undefined;
  const [clause] = where;
  const operator = clause!.operator ?? "eq";
  return clause!.field === "id" && operator === "eq" && typeof clause!.value === "string" ? clause!.value : undefined;
};

/**
 * A user row read once in a request is not read again by id in it unless
 * something was written on the connection since. A password sign-in finds
 * the user by email, and the admin plugin then looks the same user up by id
 * to check for a ban before creating the session: one statement of six, for
 * nothing. Any statement but a plain SELECT on the request's connection
 * (better-auth's writes, the app's own Drizzle writes, a transaction)
 * invalidates every copy, so a read after a write always asks the database.
 * Rows are handed out as copies; selections of some columns are never cached.
 */
export function rememberUserRows<O extends BetterAuthOptions>(factory: (options: O) => DBAdapter<O>): (options: O) => DBAdapter<O> {
  return (options) => {
    const adapter = factory(options);

    function wrap<A extends DBTransactionAdapter<O>>(target: A): A {
      const { findOne } = target;
      return Object.assign(target, {
        findOne: async (data: Parameters<typeof findOne>[0]) => {
          if (data.model !== "user" || data.select?.length) return findOne(data);
          const joined = Object.keys(data.join ?? {});
          const join = joined.length > 0;
          const id = join ? undefined : byIdOnly(data.where);
          if (id !== undefined) {
            const copy = seen().get(id);
            if (copy && copy.writes === requestWrites()) return { ...copy.row } as never;
          }
          const found = (await findOne(data)) as Row | null;
          if (found && typeof found.id === "string") {
            const { account: _accounts, ...user } = found;
            // From a lookup with the user's accounts (findUserByEmail), the user part.
            if (!join) seen().set(found.id, { row: { ...found }, writes: requestWrites() });
            else if (joined.length === 1 && joined[0] === "account") seen().set(found.id, { row: user, writes: requestWrites() });
          }
          return found as never;
        },
      } as Partial<A>);
    }

    // On the instance itself, as session-tokens.ts does: better-auth keys its
    // schema check by the adapter object's identity.
    const { transaction } = adapter;
    wrap(adapter);
    adapter.transaction = (callback) => transaction((trx) => callback(wrap(trx)));
    return adapter;
  };
}
