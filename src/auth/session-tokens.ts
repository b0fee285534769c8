import type { BetterAuthOptions, DBAdapter, DBTransactionAdapter, Where } from "better-auth";
import { requestLocal } from "./request-scope";

// Raw tokens this request knows by their hash, and stored hashes it has handed out.
const tokens = requestLocal(() => ({ rawByHash: new Map<string, string>(), handedOut: new Set<string>() }));

/**
 * Session tokens are stored as SHA-256 hex, never as issued: a copy of the
 * `session` table is then no set of working cookies or bearer tokens.
 * better-auth has no option for it, so it happens here, at the adapter every
 * better-auth query goes through:
 *
 * - a session row written with a token stores its hash, and the row handed
 *   back carries the raw token, so the cookie (and the cookie cache) hold it;
 * - every `token` in a where clause on `session` is hashed before it reaches
 *   SQL, and a row found by its token gets the raw token back;
 * - a row found some other way (listing a user's sessions) carries the stored
 *   hash unless this request already knows its raw token. Such a hash given
 *   back in a where clause by the same request (revoke-other-sessions deletes
 *   what it listed) is used as it is: it is already a hash. A client cannot
 *   send one: only hashes this very adapter handed out in this request count.
 *
 * The adapter lives as long as the auth instance (the isolate); the two maps
 * are per request (requestLocal) and live exactly as long as it.
 */
export function hashSessionTokens<O extends BetterAuthOptions>(
  factory: (options: O) => DBAdapter<O>,
): (options: O) => DBAdapter<O> {
  return (options) => {
    const adapter = factory(options);

    async function toStored(value: unknown): Promise<unknown> {
      if (typeof value !== "string") return value;
      const { rawByHash, handedOut } = tokens();
      if (handedOut.has(value)) return value;
      const hash = await sessionTokenHash(value);
      rawByHash.set(hash, value);
      return hash;
    }

    async function whereIn(where: Where[] | undefined): Promise<Where[] | undefined> {
      if (!where) return where;
      return Promise.all(
        where.map(async (clause) =>
          clause.field !== "token"
            ? clause
            : {
                ...clause,
                value: Array.isArray(clause.value)
                  ? ((await Promise.all(clause.value.map(toStored))) as string[])
                  : ((await toStored(clause.value)) as Where["value"]),
              },
        ),
      );
    }

    function rowOut<T>(row: T): T {
      if (!row || typeof row !== "object" || !("token" in row) || typeof row.token !== "string") return row;
      const { rawByHash, handedOut } = tokens();
      const raw = rawByHash.get(row.token);
      if (raw) return { ...row, token: raw };
      handedOut.add(row.token);
      return row;
    }

    const isSession = (model: string) => model === "session";

    function wrap<A extends DBTransactionAdapter<O>>(target: A): A {
      const { create, findOne, findMany, count, update, updateMany, delete: remove, deleteMany, consumeOne, incrementOne } =
        target;
      return Object.assign(target, {
        create: async (data: Parameters<typeof create>[0]) => {
          if (!isSession(data.model) || typeof data.data.token !== "string") return create(data);
          const stored = await toStored(data.data.token);
          return rowOut(await create({ ...data, data: { ...data.data, token: stored } }));
        },
        findOne: async (data: Parameters<typeof findOne>[0]) =>
          isSession(data.model) ? rowOut(await findOne({ ...data, where: (await whereIn(data.where))! })) : findOne(data),
        findMany: async (data: Parameters<typeof findMany>[0]) =>
          isSession(data.model) ? (await findMany({ ...data, where: await whereIn(data.where) })).map(rowOut) : findMany(data),
        count: async (data: Parameters<typeof count>[0]) =>
          isSession(data.model) ? count({ ...data, where: await whereIn(data.where) }) : count(data),
        update: async (data: Parameters<typeof update>[0]) => {
          if (!isSession(data.model)) return update(data);
          const changes = "token" in data.update ? { ...data.update, token: await toStored(data.update.token) } : data.update;
          return rowOut(await update({ ...data, where: (await whereIn(data.where))!, update: changes }));
        },
        updateMany: async (data: Parameters<typeof updateMany>[0]) => {
          if (!isSession(data.model)) return updateMany(data);
          const changes = "token" in data.update ? { ...data.update, token: await toStored(data.update.token) } : data.update;
          return updateMany({ ...data, where: (await whereIn(data.where))!, update: changes });
        },
        delete: async (data: Parameters<typeof remove>[0]) =>
          isSession(data.model) ? remove({ ...data, where: (await whereIn(data.where))! }) : remove(data),
        deleteMany: async (data: Parameters<typeof deleteMany>[0]) =>
          isSession(data.model) ? deleteMany({ ...data, where: (await whereIn(data.where))! }) : deleteMany(data),
        consumeOne: async (data: Parameters<typeof consumeOne>[0]) =>
          isSession(data.model) ? rowOut(await consumeOne({ ...data, where: (await whereIn(data.where))! })) : consumeOne(data),
        incrementOne: async (data: Parameters<typeof incrementOne>[0]) =>
          isSession(data.model) ? rowOut(await incrementOne({ ...data, where: (await whereIn(data.where))! })) : incrementOne(data),
      } as Partial<A>);
    }

    // Methods are replaced on the instance itself: better-auth keys its schema
    // check by the adapter object's identity.
    const { transaction } = adapter;
    wrap(adapter);
    adapter.transaction = (callback) => transaction((trx) => callback(wrap(trx)));
    return adapter;
  };
}

/** SHA-256 of a session token, lowercase hex: what `session.token` holds. */
export async function sessionTokenHash(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
