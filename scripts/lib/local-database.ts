// The database an operator script works on: DATABASE_URL, else this clone's
// embedded database, reached safely under the one-owner rule (lib/data-dir):
// through the running `npm run dev`'s server when there is one, else opened
// here, claimed for as long as the script runs.
import { existsSync } from "node:fs";
import path from "node:path";
import { claimDataDir, describeOwner, displayPath, readOwner } from "./data-dir";
import { migrate } from "./migrate";
import { redact, startEmbeddedPostgres } from "./postgres";

export const DEFAULT_DATA_DIR = path.resolve(import.meta.dirname, "../../.wrangler/pglite");

export interface LocalDatabase {
  url: string;
  /** For the operator: which database this is. */
  description: string;
  close(): Promise<void>;
}

export class LocalDatabaseError extends Error {
  override readonly name = "LocalDatabaseError";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function localDatabase(options: { dataDir?: string; command: string; env?: NodeJS.ProcessEnv }): Promise<LocalDatabase> {
  const env = options.env ?? process.env;
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, description: `DATABASE_URL ${redact(env.DATABASE_URL)}`, close: async () => undefined };

  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const shown = displayPath(dataDir);
  if (!existsSync(dataDir)) {
    throw new LocalDatabaseError(`no embedded database in ${shown} (npm run dev creates it; or set DATABASE_URL)`);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const owner = readOwner(dataDir);
    if (owner?.databaseUrl) {
      return { url: owner.databaseUrl, description: `the embedded database in ${shown}, through ${describeOwner(owner)}`, close: async () => undefined };
    }
    if (!owner) {
      const claim = claimDataDir(dataDir, options.command);
      if (claim.ok) {
        try {
          const server = await startEmbeddedPostgres({ dataDir });
          await migrate(server.url);
          return {
            url: server.url,
            description: `the embedded database in ${shown}`,
            async close() {
              await server.stop();
              claim.lock.release();
            },
          };
        } catch (err) {
          claim.lock.release();
          throw new LocalDatabaseError(`the embedded database in ${shown} could not start: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
        }
      }
    }
    // The owner is starting up (no URL yet), or won the race to claim it.
    if (Date.now() > deadline) {
      throw new LocalDatabaseError(`${shown} is held by ${owner ? describeOwner(owner) : "another process"}, which offers no database to connect to`);
    }
    await sleep(250);
  }
}
